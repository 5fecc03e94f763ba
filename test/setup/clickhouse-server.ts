// Starts a real ClickHouse server (Debian's 18.16.1 package) for integration
// tests, through deploy/dev/clickhouse-server.sh. The global setup installs
// the package (CI runs as root on a clean machine); any failure throws —
// tests that need the server must never silently skip.
import { execFile, execFileSync } from "node:child_process";
import { requireDebianPackages, testPackages } from "./apt-packages.js";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Path of the shell script that installs, starts and stops the server. */
export const CLICKHOUSE_SERVER_SCRIPT = fileURLToPath(
  new URL("../../deploy/dev/clickhouse-server.sh", import.meta.url),
);

/** User with a password (CH_PASSWORD) created by the script besides `default`. */
export const CLICKHOUSE_APP_USER = "spamtrace";

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const MAX_PORT_ATTEMPTS = 5;

/** Options for {@link startClickHouseServer}. */
export interface StartClickHouseServerOptions {
  /** HTTP port; the native TCP port is httpPort+1 and interserver httpPort+2. Default: a free port. */
  httpPort?: number;
  /** Password of the `spamtrace` user (stored hashed); empty when unset. `default` never has one. */
  password?: string;
  /** Extra server config, file name → XML, written to etc/config.d/ (merged by the server over config.xml), e.g. a cluster's <remote_servers>. */
  configFiles?: Readonly<Record<string, string>>;
  /** Extra users, profiles and quotas, file name → XML, written to etc/users.d/ (merged over users.xml). */
  usersFiles?: Readonly<Record<string, string>>;
}

/** A running server owned by the caller. */
export interface ClickHouseServer {
  /** HTTP endpoint, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** HTTP port on 127.0.0.1. */
  httpPort: number;
  /** Native protocol port on 127.0.0.1 (httpPort+1). */
  tcpPort: number;
  /** Folder with etc/, data/, log/; removed by stop(). */
  baseDir: string;
  /** `SELECT version()`, e.g. `18.16.1`. */
  version: string;
  /** Stops the server and deletes baseDir. Idempotent. */
  stop(): Promise<void>;
  /** Stops the server (SIGTERM, as an outage would) but keeps baseDir for restart(). */
  kill(): Promise<void>;
  /** Starts the server again on the same ports and data; no-op when running. */
  restart(): Promise<void>;
}

/** Starts a fresh server in a new folder under os.tmpdir(); throws when install or start fails. */
export async function startClickHouseServer(
  opts: StartClickHouseServerOptions = {},
): Promise<ClickHouseServer> {
  requireDebianPackages(testPackages("clickhouse-server"));
  // Always set, so a CH_PASSWORD in the caller's environment does not leak into tests.
  const env = { CH_PASSWORD: opts.password ?? "" };
  const baseDir = await mkdtemp(path.join(os.tmpdir(), "spamtrace-clickhouse-"));
  let httpPort = 0;
  try {
    for (const [folder, files] of [["config.d", opts.configFiles], ["users.d", opts.usersFiles]] as const) {
      if (!files) continue;
      await mkdir(path.join(baseDir, "etc", folder), { recursive: true });
      for (const [name, xml] of Object.entries(files)) await writeFile(path.join(baseDir, "etc", folder, name), xml);
    }
    for (let attempt = 1; ; attempt++) {
      httpPort = opts.httpPort ?? (await findFreePortTriple());
      try {
        await runScript(["start", baseDir, String(httpPort)], START_TIMEOUT_MS, env);
        break;
      } catch (error) {
        // Another process may grab a probed port before the server binds it.
        const portRace =
          opts.httpPort === undefined &&
          attempt < MAX_PORT_ATTEMPTS &&
          error instanceof Error &&
          /already in use|Address already in use/.test(error.message);
        if (!portRace) throw error;
      }
    }
  } catch (error) {
    await rm(baseDir, { recursive: true, force: true });
    throw error;
  }
  running.add(baseDir);

  const url = `http://127.0.0.1:${httpPort}`;
  let stopped = false;
  const server: ClickHouseServer = {
    url,
    httpPort,
    tcpPort: httpPort + 1,
    baseDir,
    version: "",
    async stop() {
      if (stopped) return;
      await runScript(["stop", baseDir], STOP_TIMEOUT_MS);
      running.delete(baseDir);
      stopped = true;
      await rm(baseDir, { recursive: true, force: true });
    },
    async kill() {
      if (stopped) throw new Error(`ClickHouse server in ${baseDir} was stopped and its data removed`);
      await runScript(["stop", baseDir], STOP_TIMEOUT_MS);
    },
    async restart() {
      if (stopped) throw new Error(`ClickHouse server in ${baseDir} was stopped and its data removed`);
      await runScript(["start", baseDir, String(httpPort)], START_TIMEOUT_MS, env);
    },
  };
  try {
    server.version = await queryVersion(url);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

// Safety net for a test run that ends without calling stop(): do not leave
// orphaned servers behind (their data folders are left for inspection).
const running = new Set<string>();
process.once("exit", () => {
  for (const baseDir of running) {
    try {
      execFileSync("bash", [CLICKHOUSE_SERVER_SCRIPT, "stop", baseDir], { stdio: "ignore", timeout: STOP_TIMEOUT_MS });
    } catch {
      // Best effort while the process exits.
    }
  }
});

async function queryVersion(url: string): Promise<string> {
  const response = await fetch(`${url}/?query=${encodeURIComponent("SELECT version()")}`);
  const body = (await response.text()).trim();
  if (!response.ok) throw new Error(`SELECT version() on ${url} failed: HTTP ${response.status}: ${body}`);
  return body;
}

function runScript(args: string[], timeoutMs: number, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "bash",
      [CLICKHOUSE_SERVER_SCRIPT, ...args],
      { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const tail = stderr.trim().split("\n").slice(-40).join("\n");
          const how = error.killed ? `timed out after ${timeoutMs} ms` : `exited with code ${String(error.code)}`;
          reject(new Error(`clickhouse-server.sh ${args.join(" ")} ${how}:\n${tail}`, { cause: error }));
          return;
        }
        resolve(stdout.trim());
      },
    );
  });
}

/** A port P such that P, P+1 and P+2 are free on 127.0.0.1 right now. */
export async function findFreePortTriple(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await bindAndRelease(0);
    if (port === undefined || port + 2 > 65535) continue;
    if ((await bindAndRelease(port + 1)) !== undefined && (await bindAndRelease(port + 2)) !== undefined) {
      return port;
    }
  }
  throw new Error("no three consecutive free TCP ports found on 127.0.0.1 after 50 attempts");
}

/** Binds 127.0.0.1:port (0 = any), closes it and returns the bound port, or undefined when taken. */
function bindAndRelease(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(undefined));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === "object" && address !== null ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}
