// Debian's ZooKeeper 3.8 (package `zookeeper`, installed by the global setup)
// as a standalone server on loopback, for ClickHouse replication. Run in the
// foreground from its jar with a config of its own: Debian's zkServer.sh
// always reads /etc/zookeeper/conf.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import os from "node:os";
import path from "node:path";
import { requireDebianPackages, testPackages } from "./apt-packages.js";
import { freePort } from "./free-port.js";

const JAR = "/usr/share/java/zookeeper.jar";
const RUOK_TIMEOUT_MS = 2_000;
const START_TIMEOUT_MS = 30_000;

/** A running ZooKeeper. */
export interface ZooKeeper {
  host: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts a standalone ZooKeeper on 127.0.0.1 with its data in a new temporary folder. */
export async function startZooKeeper(): Promise<ZooKeeper> {
  requireDebianPackages(testPackages("libzookeeper-java"));
  const dir = await mkdtemp(path.join(os.tmpdir(), "spamtrace-zookeeper-"));
  const port = await freePort();
  await writeFile(
    path.join(dir, "zoo.cfg"),
    [`tickTime=2000`, `dataDir=${dir}/data`, `clientPort=${port}`, `clientPortAddress=127.0.0.1`, `admin.enableServer=false`, `4lw.commands.whitelist=ruok`, ""].join("\n"),
  );
  let output = "";
  const child: ChildProcess = spawn("java", ["-cp", JAR, "-Xmx256m", "org.apache.zookeeper.server.ZooKeeperServerMain", path.join(dir, "zoo.cfg")], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while ((await ruok(port)) !== "imok") {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`ZooKeeper on 127.0.0.1:${port} did not answer ruok within ${START_TIMEOUT_MS} ms:\n${output.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { host: "127.0.0.1", port, stop };
}

/** ZooKeeper's four-letter health check; "" when nothing answers within RUOK_TIMEOUT_MS. */
function ruok(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    // A server still starting may accept and never answer nor close: without a
    // bound the start loop would wait past its deadline (a CI run's cluster
    // hook timed out at 300 s with ZooKeeper running).
    socket.setTimeout(RUOK_TIMEOUT_MS, () => socket.destroy());
    let reply = "";
    socket.on("connect", () => socket.end("ruok"));
    socket.on("data", (c: Buffer) => (reply += c.toString()));
    socket.on("close", () => resolve(reply));
    socket.on("error", () => resolve(""));
  });
}
