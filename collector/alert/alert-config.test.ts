import { describe, expect, it } from "vitest";
import { loadConfig } from "../../shared/config/load-config.js";
import { alertConfigSchema } from "../config/collector-config.js";
import { defaultSeverity } from "../detect/rule-catalog.js";
import { ruleSeverity } from "./alert-config.js";

const load = (overrides: Record<string, unknown>) => loadConfig(alertConfigSchema, { envPrefix: "X_", env: {}, overrides });

describe("alertConfigSchema", () => {
  it("defaults: every event, 20 per minute per sink, 5 attempts, rule severities", () => {
    const c = load({ webhooks: [{ name: "hook", url: "https://hooks.example/x" }], rules: { "queue-surge": { severity: "low" } } });
    expect(c).toMatchObject({ events: ["open", "escalate", "resolve"], maxPerMinute: 20, maxQueued: 1000, retry: { attempts: 5, initialDelayMs: 1000, maxDelayMs: 60000 } });
    expect(c.webhooks[0]).toMatchObject({ format: "json", minSeverity: "low", timeoutMs: 10000 });
    expect(ruleSeverity(c, "open-relay", defaultSeverity("open-relay"))).toBe("critical");
    expect(ruleSeverity(c, "queue-surge", defaultSeverity("queue-surge"))).toBe("low");
  });
  it.each<{ input: Record<string, unknown>; error: string; key: string }>([
    { input: { webhooks: [{ name: "a", url: "http://x" }, { name: "a", url: "http://y" }] }, error: 'invalid config: webhooks.1.name "a": sink name a is used twice', key: "webhooks.1.name" },
    { input: { rules: { "open-relay": { sinks: ["nope"] } } }, error: 'invalid config: rules.open-relay.sinks ["nope"]: sink nope is not defined in alert.webhooks or alert.email', key: "rules.open-relay.sinks" },
    { input: { rules: { "open-rely": { severity: "high" } } }, error: "invalid config: unknown config key rules.open-rely", key: "rules.open-rely" },
    { input: { webhooks: [{ name: "a", url: "ftp://x" }] }, error: 'invalid config: webhooks.0.url "ftp://x": Invalid URL', key: "webhooks.0.url" },
    { input: { email: [{ name: "m", host: "smtp.example", to: [] }] }, error: "invalid config: email.0.to [] must be >= 1", key: "email.0.to" },
  ])("rejects $key", ({ input, error, key }) => {
    let thrown: unknown;
    try {
      load(input);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ key });
    expect((thrown as Error).message).toBe(error);
  });
});
