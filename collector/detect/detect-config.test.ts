import { describe, expect, it } from "vitest";
import { loadConfig } from "../../shared/config/load-config.js";
import { aboveBaseline } from "./baseline.js";
import { detectConfigSchema } from "./detect-config.js";
import { quietMinutesFor } from "./detectors.js";

describe("detectConfigSchema", () => {
  it("has documented defaults", () => {
    const c = detectConfigSchema.parse({});
    expect(c).toMatchObject({ enabled: true, intervalMs: 5_000, baselineDays: 7, quietMinutes: 15, claimSettleMs: 1_500, trustedNetworks: ["127.0.0.0/8", "::1/128"] });
    expect(c.rules.compromisedAccount).toMatchObject({ lookbackMinutes: 5, minMessages: 50, baselineMultiplier: 5, baselineFloorMessages: 10 });
    expect(c.rules.directToMx.remotePorts).toEqual([25]);
    expect(quietMinutesFor(c, "open-relay")).toBe(120);
    expect(quietMinutesFor(c, "compromised-account")).toBe(15);
  });
  it.each<{ input: Record<string, unknown>; error: string; key: string }>([
    { input: { rules: { openRelay: { minMesages: 3 } } }, error: "invalid config: unknown config key rules.openRelay.minMesages", key: "rules.openRelay.minMesages" },
    { input: { trustedNetworks: ["10.0.0.0/33"] }, error: 'invalid config: trustedNetworks.0 "10.0.0.0/33": must be an IP address or CIDR block (10.0.0.0/8, 2001:db8::/32)', key: "trustedNetworks.0" },
    { input: { intervalMs: 10 }, error: "invalid config: intervalMs 10 must be >= 1000", key: "intervalMs" },
  ])("rejects $key", ({ input, error, key }) => {
    expect(() => loadConfig(detectConfigSchema, { envPrefix: "X_", env: {}, overrides: input })).toThrow(expect.objectContaining({ message: error, key }));
  });
});

describe("aboveBaseline", () => {
  it.each<{ value: number; p95?: number; buckets?: number; fires: boolean; bar: number }>([
    { value: 50, fires: false, bar: 51 },
    { value: 51, fires: true, bar: 51 },
    { value: 60, p95: 20, fires: false, bar: 101 },
    { value: 101, p95: 20, fires: true, bar: 101 },
    { value: 40, p95: 1, fires: false, bar: 50 },
    { value: 51, p95: 0, buckets: 0, fires: true, bar: 51 },
  ])("$value vs p95 $p95", ({ value, p95, buckets, fires, bar }) => {
    const baseline = p95 === undefined ? undefined : { p95, buckets: buckets ?? 10 };
    expect(aboveBaseline(value, baseline, { multiplier: 5, floor: 10, minimum: 50 })).toMatchObject({ fires, bar });
  });
});
