// `npm run release` as an operator uses it: tarballs checked with sha256sum,
// unpacked into empty folders with no sources beside them; the probe bundle
// runs on Debian 12's Node 18, the collector installs its production
// dependencies with npm and runs (`--version`, `certs init`, `serve`, `sql`),
// and the released probe streams to the released collector over mTLS.
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadProbeConfig } from "../probe/config/probe-config.js";
import { REPO_ROOT } from "../scripts/package-info.js";
import { freePort } from "./setup/free-port.js";
import { run, type RunResult } from "./setup/mta/lab-common.js";
import { node18 } from "./setup/node18.js";
import { waitFor } from "./setup/wait-for.js";

const VERSION = "9.9.9-test";
const PROBE = `spamtrace-probe-${VERSION}`;
const COLLECTOR = `spamtrace-collector-${VERSION}`;
/** Files' mtime in the tarballs (default: the last commit's time, which a commit between two runs would move). */
const RELEASE_ENV = { ...process.env, SOURCE_DATE_EPOCH: "1796601600" };

/** Runs a command to its end (never throws on a non-zero exit: the tests assert the status). */
function runTo(cmd: string, args: readonly string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult> {
  return run(cmd, args, { ...opts, timeoutMs: opts.timeoutMs ?? 60_000, allowFailure: true });
}

async function listTree(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...(await listTree(join(dir, entry.name), `${prefix}${entry.name}/`)));
    else out.push(`${prefix}${entry.name}`);
  }
  return out.sort();
}

describe("npm run release", () => {
  let work: string;
  let out: string;
  let releaseOutput: RunResult;
  const started: ReturnType<typeof spawn>[] = [];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "spamtrace-release-test-"));
    out = join(work, "out");
    releaseOutput = await runTo("npm", ["run", "release", "--", "--version", VERSION, "--out", out], { cwd: REPO_ROOT, env: RELEASE_ENV, timeoutMs: 120_000 });
  });

  afterAll(async () => {
    for (const child of started) child.kill("SIGKILL");
    await rm(work, { recursive: true, force: true });
  });

  it("writes both tarballs with sha256 files that sha256sum -c accepts", async () => {
    expect(releaseOutput.code, releaseOutput.stderr).toBe(0);
    expect((await readdir(out)).sort()).toEqual([`${COLLECTOR}.tar.gz`, `${COLLECTOR}.tar.gz.sha256`, `${PROBE}.tar.gz`, `${PROBE}.tar.gz.sha256`]);
    const check = await runTo("sha256sum", ["-c", `${PROBE}.tar.gz.sha256`, `${COLLECTOR}.tar.gz.sha256`], { cwd: out });
    expect(check).toMatchObject({ code: 0, stdout: `${PROBE}.tar.gz: OK\n${COLLECTOR}.tar.gz: OK\n` });
  });

  it("is reproducible: a second release of the same sources and version is byte-identical", async () => {
    const again = await runTo("npm", ["run", "release", "--", "--version", VERSION, "--out", join(work, "again")], { cwd: REPO_ROOT, env: RELEASE_ENV, timeoutMs: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    for (const name of [`${PROBE}.tar.gz.sha256`, `${COLLECTOR}.tar.gz.sha256`]) {
      expect(await readFile(join(work, "again", name), "utf8")).toBe(await readFile(join(out, name), "utf8"));
    }
  });

  it("the probe tarball holds the bundle, unit, example config and README; the bundle runs alone on Node 18", async () => {
    const dir = join(work, "probe-host");
    await mkdir(dir);
    expect((await runTo("tar", ["-xzf", join(out, `${PROBE}.tar.gz`), "-C", dir], { cwd: work })).code).toBe(0);
    expect(await listTree(dir)).toEqual([`${PROBE}/README.md`, `${PROBE}/probe.example.yaml`, `${PROBE}/spamtrace-probe.cjs`, `${PROBE}/spamtrace-probe.service`]);
    const n18 = node18();
    const version = await runTo(n18.node, ["spamtrace-probe.cjs", "--version"], { cwd: join(dir, PROBE), env: n18.env });
    expect(version).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
    expect(await readFile(join(dir, PROBE, "README.md"), "utf8")).toContain(`spamtrace probe ${VERSION}`);
  });

  it("the example probe config is every default, except the installed paths", async () => {
    const example = loadProbeConfig(join(work, "probe-host", PROBE, "probe.example.yaml"), undefined, {});
    const empty = join(work, "empty.yaml");
    await writeFile(empty, "{}\n");
    const defaults = loadProbeConfig(empty, undefined, {});
    expect(example).toEqual({
      ...defaults,
      collector: { ...defaults.collector, certsDir: "/etc/spamtrace/probe-certs" },
      spool: { ...defaults.spool, dir: "/var/lib/spamtrace-probe/spool" },
    });
    // Every key of the schema appears in the file, set or commented out with its default.
    const text = await readFile(join(work, "probe-host", PROBE, "probe.example.yaml"), "utf8");
    for (const key of ["hostId", "caFile", "certFile", "keyFile", "serverName", "logPaths", ...Object.values(defaults).flatMap((section) => (typeof section === "object" ? Object.keys(section) : []))]) {
      expect(text).toMatch(new RegExp(`^\\s*#?\\s*${key}:`, "m"));
    }
  });

  it("the collector tarball installs production dependencies only and runs without sources or tsx", async () => {
    const dir = join(work, "collector-host");
    await mkdir(dir);
    expect((await runTo("tar", ["-xzf", join(out, `${COLLECTOR}.tar.gz`), "-C", dir], { cwd: work })).code).toBe(0);
    const root = join(dir, COLLECTOR);
    const files = await listTree(root);
    expect(files.filter((f) => f.endsWith(".ts"))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(["README.md", "bin/spamtrace.js", "collector.example.yaml", "dist/cli.js", "package-lock.json", "package.json", "spamtrace-collector.service"]));
    const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as { version: string; dependencies: Record<string, string>; devDependencies?: unknown };
    expect(pkg.version).toBe(VERSION);
    expect(pkg.devDependencies).toBeUndefined();
    expect(Object.keys(pkg.dependencies)).not.toContain("tsx");

    const lock = await readFile(join(root, "package-lock.json"), "utf8");
    expect(lock).not.toMatch(/"node_modules\/(tsx|esbuild|typescript|vitest)"/);
    const install = await runTo("npm", ["install", "--omit=dev", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: root, timeoutMs: 300_000 });
    expect(install.code, install.stderr).toBe(0);
    // The install leaves the shipped lock as it was: a role re-run sees no change.
    expect(await readFile(join(root, "package-lock.json"), "utf8")).toBe(lock);
    const installed = await readdir(join(root, "node_modules"));
    for (const devOnly of ["tsx", "esbuild", "typescript", "vitest", "smtp-server"]) expect(installed).not.toContain(devOnly);
    expect(installed).toEqual(expect.arrayContaining(["chdb", "commander", "@grpc"]));

    expect(await runTo(process.execPath, ["bin/spamtrace.js", "--version"], { cwd: root })).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
  });

  it("the released collector issues certificates, serves, and stores what the released probe (Node 18) sends", async () => {
    const root = join(work, "collector-host", COLLECTOR);
    const certs = join(work, "certs");
    const init = await runTo(process.execPath, ["bin/spamtrace.js", "certs", "init", "--dir", certs, "--probe", "web1"], { cwd: root });
    expect(init.code, init.stderr).toBe(0);
    expect((await readdir(certs)).sort()).toEqual(["ca.crt", "ca.key", "collector.crt", "collector.key", "probe-web1.crt", "probe-web1.key"]);

    const [grpcPort, adminPort] = [await freePort(), await freePort()];
    const collectorConfig = join(work, "collector.yaml");
    await writeFile(
      collectorConfig,
      JSON.stringify({
        collectorId: "release-test",
        grpc: { host: "127.0.0.1", port: grpcPort, certsDir: certs },
        admin: { host: "127.0.0.1", port: adminPort, tokenFile: join(work, "admin.token") },
        store: { dataDir: join(work, "clickhouse") },
      }),
    );
    const collector = spawn(process.execPath, ["bin/spamtrace.js", "serve", "--config", collectorConfig], { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
    started.push(collector);
    let collectorLog = "";
    collector.stderr!.on("data", (c: Buffer) => (collectorLog += c.toString("utf8")));
    await waitFor("the released collector to listen", async () => (collectorLog.includes("collector listening") ? true : undefined), 60_000);

    const probeConfig = join(work, "probe.yaml");
    await writeFile(
      probeConfig,
      JSON.stringify({
        hostId: "web1",
        collector: { address: `127.0.0.1:${grpcPort}`, certsDir: certs, serverName: "localhost", reconnectMinMs: 100, reconnectMaxMs: 1000 },
        sockets: { snapshotIntervalMs: 500 },
        spool: { dir: join(work, "spool") },
        metrics: { port: 0 },
      }),
    );
    const n18 = node18();
    const probe = spawn(n18.node, ["spamtrace-probe.cjs", "run", "--config", probeConfig], { cwd: join(work, "probe-host", PROBE), env: n18.env, stdio: "ignore" });
    started.push(probe);

    const hosts = await waitFor(
      "the probe's Hello through the released `spamtrace sql`",
      async () => {
        const sql = await runTo(process.execPath, ["bin/spamtrace.js", "sql", "--config", collectorConfig, "--json", "SELECT host_id, probe_version, collector_id FROM spamtrace.hosts FINAL"], { cwd: root });
        return sql.code === 0 && sql.stdout.trim() !== "" ? sql.stdout.trim().split("\n").map((l) => JSON.parse(l) as unknown) : undefined;
      },
      60_000,
      500,
    );
    expect(hosts).toEqual([{ host_id: "web1", probe_version: VERSION, collector_id: "release-test" }]);
    expect(probe.exitCode).toBeNull();
    expect(collector.exitCode).toBeNull();
  });
});
