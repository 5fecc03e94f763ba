// A batch the collector refuses as invalid must not hold back the ones behind
// it. The collector stores a probe's batches in order; before the probe set
// refused batches aside, one string over the collector's limit (a script's
// ancestry with a job runner's long argument, in CI) kept every later batch of
// that host out of ClickHouse. Here the collector's limit is lowered to 64
// characters so that a process with a 200-character argument makes the batch
// holding its socket invalid.
import { spawn, type ChildProcess } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REJECTED_DIR } from "../probe/spool/disk-spool.js";
import type { CliProcess } from "./setup/cli-process.js";
import { freePort } from "./setup/free-port.js";
import { makeLab, type Lab } from "./setup/spamtrace-lab.js";
import { waitFor } from "./setup/wait-for.js";

describe("a batch the collector refuses as invalid is set aside", () => {
  let lab: Lab;
  let probe: CliProcess;
  let listener: ChildProcess | undefined;
  let smtpPort: number;
  const senders: ChildProcess[] = [];

  beforeAll(async () => {
    smtpPort = await freePort();
    lab = await makeLab({ store: "embedded", probeHostIds: ["refused1"], ports: [smtpPort], collectorExtra: { limits: { maxStringChars: 64 } } });
    // Short paths and short scripts, the listener's too (its socket is in every snapshot): only the
    // argument chosen below is over 64 characters. The listener keeps each connection open, and a sender
    // holds it until it is killed.
    await writeFile(join(lab.dir, "l.js"), `require("net").createServer((s)=>s.write("220 t\\r\\n")).listen(${smtpPort},"127.0.0.1")`);
    await writeFile(join(lab.dir, "c.js"), `require("net").connect(${smtpPort},"127.0.0.1");setInterval(()=>0,1000)`);
    listener = spawn(process.execPath, ["l.js"], { cwd: lab.dir, stdio: "ignore" });
    await waitFor("the listener", () => new Promise<true | undefined>((resolve) => net.connect(smtpPort, "127.0.0.1").on("connect", function (this: net.Socket) { this.destroy(); resolve(true); }).on("error", () => resolve(undefined))), 10_000, 100);
    await lab.startCollector();
    probe = await lab.startProbe("refused1");
  });

  afterAll(async () => {
    for (const s of senders) s.kill("SIGKILL");
    listener?.kill("SIGKILL");
    await lab?.close();
  });

  const send = (argument: string): number => {
    const child = spawn(process.execPath, ["c.js", argument], { cwd: lab.dir, stdio: "ignore" });
    senders.push(child);
    return child.pid!;
  };
  const storedPids = async (): Promise<number[]> =>
    (await lab.sql<{ pid: number }>(`SELECT DISTINCT pid FROM ${lab.database}.socket_snapshots WHERE host_id = 'refused1'`)).map((r) => Number(r.pid));

  it("keeps the refused batch with the collector's reason, and the next batches reach ClickHouse", async () => {
    const long = send(`--job=${"x".repeat(200)}`);
    await waitFor("the probe to set the refused batch aside", async () => (/set aside/.test(probe.output()) ? true : undefined), 60_000, 250);
    // Held until now so that the probe surely saw it with its process (a loaded host may miss a short session).
    senders[0]!.kill("SIGKILL");
    const short = send("--job=short");
    await waitFor("the next sender's socket in ClickHouse", async () => ((await storedPids()).includes(short) ? true : undefined), 60_000, 500);
    // The long argument's socket went only into refused batches (the probe clips at 4096, the collector here at 64).
    expect(await storedPids()).not.toContain(long);
    const rejected = join(lab.dir, "spool-refused1", REJECTED_DIR);
    const files = await readdir(rejected);
    const reasons = files.filter((f) => f.endsWith(".reason.txt"));
    expect(reasons.length).toBeGreaterThan(0);
    expect(files.filter((f) => f.endsWith(".batch"))).toHaveLength(reasons.length);
    expect(await readFile(join(rejected, reasons[0]!), "utf8")).toMatch(/limit 64/);
    expect(probe.output()).toMatch(/"msg":"collector refused a batch as invalid, again and again: set aside/);
  });
});
