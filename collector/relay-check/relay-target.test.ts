import { describe, expect, it } from "vitest";
import { relayCheckConfigSchema } from "./relay-check-config.js";
import { AllowedTargets, parseRelayTarget } from "./relay-target.js";

describe("parseRelayTarget", () => {
  it.each<{ input: string; output?: { host: string; port: number }; error?: string }>([
    { input: "mx1.fleet.test", output: { host: "mx1.fleet.test", port: 25 } },
    { input: "mx1.fleet.test:587", output: { host: "mx1.fleet.test", port: 587 } },
    { input: "192.0.2.1:2525", output: { host: "192.0.2.1", port: 2525 } },
    { input: "[2001:db8::1]:25", output: { host: "2001:db8::1", port: 25 } },
    { input: "2001:db8::1", output: { host: "2001:db8::1", port: 25 } },
    { input: "mx1:0", error: 'target "mx1:0" has a port outside 1..65535' },
    { input: "mx1:x", error: 'target "mx1:x" has a port outside 1..65535' },
    { input: "-h;rm", error: 'target "-h;rm" is not HOST[:PORT]' },
    { input: ":25", error: 'target ":25" is not HOST[:PORT]' },
  ])("$input", ({ input, output, error }) => {
    if (error) expect(() => parseRelayTarget(input, 25)).toThrow(error);
    else expect(parseRelayTarget(input, 25)).toMatchObject(output!);
  });
});

describe("AllowedTargets", () => {
  const allowed = new AllowedTargets(["10.0.0.0/8", "mx.partner.example", ".fleet.test"]);
  const resolve = async (host: string): Promise<string[]> => ({ "mx1.fleet.test": ["203.0.113.1"], "inside.example": ["10.1.2.3"], "mixed.example": ["10.1.2.3", "203.0.113.9"], "mx.partner.example": ["198.51.100.1"] })[host] ?? [];
  it.each<{ target: string; verdict: { address: string } | { refused: string } }>([
    { target: "10.9.9.9", verdict: { address: "10.9.9.9" } },
    { target: "11.0.0.1", verdict: { refused: "11.0.0.1 is not in relayCheck.allowedTargets" } },
    { target: "inside.example", verdict: { address: "10.1.2.3" } },
    { target: "mixed.example", verdict: { refused: "mixed.example resolves to 203.0.113.9, not in relayCheck.allowedTargets" } },
    { target: "mx1.fleet.test", verdict: { address: "203.0.113.1" } },
    { target: "MX.Partner.Example.", verdict: { address: "198.51.100.1" } },
    { target: "nowhere.example", verdict: { refused: "nowhere.example has no address" } },
  ])("$target", async ({ target, verdict }) => {
    expect(await allowed.vet(parseRelayTarget(target, 25), resolve)).toEqual(verdict);
  });
  it("an empty list refuses everything", async () => {
    expect(await new AllowedTargets(relayCheckConfigSchema.parse({}).allowedTargets).vet(parseRelayTarget("10.0.0.1", 25))).toEqual({ refused: "10.0.0.1 is not in relayCheck.allowedTargets" });
  });
});
