// Runs a bench in a network namespace of its own: the probe's socket table,
// its ActiveOpens trigger and the TCP connections of the fd holders are then
// those of the bench alone, not of whatever else the machine runs (on the
// shared 2-core bench machine, other work opened 1-25 connections/s and held
// thousands of sockets, which made every figure depend on the neighbours).
// The kernel's TCP hash table stays the host's one (a new namespace shares it:
// net.ipv4.tcp_child_ehash_entries = 0), so each read still walks all of it.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const MARKER = "SPAMTRACE_BENCH_NETNS";

/**
 * When not yet in the bench's namespace, re-runs this process in a new one
 * (root and unshare(1) + ip(8) needed; otherwise says so and stays) and exits
 * with its status. `--host-netns` keeps the host's namespace.
 */
export function enterPrivateNetns(): void {
  if (process.env[MARKER] === "1" || process.argv.includes("--host-netns")) return;
  if (process.getuid?.() !== 0 || !existsSync("/usr/bin/unshare")) {
    console.log("not root or no unshare(1): running in the host's network namespace (figures include other work's sockets)");
    return;
  }
  const result = spawnSync(
    "unshare",
    ["--net", "--", "sh", "-c", 'ip link set lo up && exec "$0" "$@"', process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    { stdio: "inherit", env: { ...process.env, [MARKER]: "1" } },
  );
  process.exit(result.status ?? 1);
}

/** The namespace the figures were taken in, for the printed header. */
export function netnsLabel(): string {
  return process.env[MARKER] === "1" ? "own network namespace" : "host network namespace";
}
