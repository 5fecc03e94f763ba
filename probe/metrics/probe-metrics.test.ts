import { describe, expect, it } from "vitest";
import { ProbeMetrics } from "./probe-metrics.js";

describe("ProbeMetrics", () => {
  it("reads whether the sender is connected at scrape time", async () => {
    const metrics = new ProbeMetrics();
    const scrape = async (): Promise<string | undefined> => /^spamtrace_probe_connected (\S+)$/m.exec(await metrics.registry.metrics())?.[1];
    // Before the sender is wired in, the gauge reads 0.
    expect(await scrape()).toBe("0");
    let connected = true;
    metrics.watchConnected(() => connected);
    expect(await scrape()).toBe("1");
    connected = false;
    expect(await scrape()).toBe("0");
  });
});
