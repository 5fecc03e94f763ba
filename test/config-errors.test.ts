import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliToEnd } from "./setup/cli-process.js";

// Each bad config must stop the process at start with exit status 2 and one
// line naming the key; nothing may be half-started.
const cases: { bin: "spamtrace" | "spamtrace-probe"; args: (file: string) => string[]; config: unknown; error: string }[] = [
  {
    bin: "spamtrace",
    args: (f) => ["serve", "--config", f],
    config: { grpc: { prot: 7443 } },
    error: "spamtrace: invalid config: unknown config key grpc.prot",
  },
  {
    bin: "spamtrace",
    args: (f) => ["serve", "--config", f],
    config: { store: { retentionDays: 0 } },
    error: "spamtrace: invalid config: store.retentionDays 0 must be >= 1",
  },
  {
    bin: "spamtrace",
    args: (f) => ["serve", "--config", f],
    config: { colectorId: "x" },
    error: "spamtrace: invalid config: unknown config key colectorId",
  },
  {
    bin: "spamtrace",
    args: (f) => ["serve", "--config", f],
    config: { suppressions: [{ rule: "compromised-account", scope: "cidr", value: "198.51.100.0/33", expires: "2099-01-01", reason: "office NAT" }] },
    error: 'spamtrace: invalid config: suppressions.0.value "198.51.100.0/33": must be an IP address or CIDR (203.0.113.0/24, 2001:db8::/48)',
  },
  {
    bin: "spamtrace-probe",
    args: (f) => ["run", "--config", f],
    config: { spool: { maxBytes: 0 } },
    error: "spamtrace-probe: invalid config: spool.maxBytes 0 must be >= 1048576",
  },
  {
    bin: "spamtrace-probe",
    args: (f) => ["run", "--config", f],
    config: { sockets: { sampleIntervalMs: 10 } },
    error: "spamtrace-probe: invalid config: sockets.sampleIntervalMs 10 must be >= 50",
  },
  {
    bin: "spamtrace-probe",
    args: (f) => ["run", "--config", f],
    config: { sokets: {} },
    error: "spamtrace-probe: invalid config: unknown config key sokets",
  },
];

describe("bad configuration stops the process with an error naming the key", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "spamtrace-config-"));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it.each(cases.map((c, i) => ({ ...c, i })))("$bin: $error", async ({ bin, args, config, error, i }) => {
    const file = join(dir, `config-${i}.yaml`);
    await writeFile(file, JSON.stringify(config));
    const result = await runCliToEnd(bin, args(file), { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n").at(-1)).toBe(`${error} (in ${file} or the environment)`);
  });

  it("names the key of a bad environment variable", async () => {
    const result = await runCliToEnd("spamtrace", ["serve"], { cwd: dir, env: { SPAMTRACE_COLLECTOR_GRPC__PORT: "70000" } });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe("spamtrace: invalid config: grpc.port 70000 must be <= 65535");
  });
});
