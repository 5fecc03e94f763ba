// Node 18 (what Debian 12 and RHEL 9 ship as `nodejs`) beside this machine's
// Node 20, without installing it: `apt-get download` of Debian 12's nodejs and
// the libraries it links that Node 20's packaging does not provide, each
// unpacked with `dpkg -x` into a cache folder. The probe bundle must run there.
import { existsSync } from "node:fs";
import { chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ensureDebianPackages } from "./apt-packages.js";
import { run } from "./mta/lab-common.js";
import { unpackDebs } from "./unpack-debs.js";

/** Debian 12's nodejs (bookworm-security). */
export const NODE18_VERSION = "18.20.4";
const PACKAGES = [`nodejs=${NODE18_VERSION}+dfsg-1~deb12u3`, "libnode108", "libc-ares2", "libuv1"];

/**
 * Debian's libnode108 loads some of its builtins (acorn, cjs-module-lexer,
 * undici) from absolute paths under /usr/share/nodejs, shipped by these
 * packages (libnode108's Depends): without them `node --version` works but
 * every script aborts ("Cannot load externalized builtin"). Plain JS files,
 * installed beside this machine's Node 20 without touching it.
 */
const EXTERNALIZED_BUILTINS = [
  { name: "node-cjs-module-lexer", marker: "/usr/share/nodejs/cjs-module-lexer/lexer.js" },
  { name: "node-acorn", marker: "/usr/share/nodejs/acorn-walk/dist/walk.js" },
  { name: "node-undici", marker: "/usr/share/nodejs/undici/undici-fetch.js" },
];

/** Where the unpacked packages are cached (a second run finds them and returns at once). */
export const NODE18_CACHE_DIR = join(tmpdir(), "spamtrace-test-cache", `node-${NODE18_VERSION}`);

/** A Node 18 runnable from the cache: its binary and the environment it needs. */
export interface Node18 {
  /** Path of the node binary. */
  node: string;
  /** Environment to run it with: LD_LIBRARY_PATH pointing at the unpacked libnode, libuv and c-ares. */
  env: NodeJS.ProcessEnv;
}

/** The cached Node 18 (no download); throws when the global setup has not unpacked it. */
export function node18(cacheDir = NODE18_CACHE_DIR): Node18 {
  const root = join(cacheDir, "root");
  const node = join(root, "usr/bin/node");
  if (!existsSync(node)) throw new Error(`Node ${NODE18_VERSION} is not unpacked at ${root}: test/setup/global-setup.ts calls ensureNode18()`);
  const libDir = join(root, "usr/lib/x86_64-linux-gnu");
  return { node, env: { ...process.env, LD_LIBRARY_PATH: [libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":") } };
}

/**
 * Downloads and unpacks Node 18 once (idempotent; the global setup calls it,
 * never a test file: concurrent apt runs race for the lock) and checks that
 * it runs a script.
 */
export async function ensureNode18(cacheDir = NODE18_CACHE_DIR): Promise<Node18> {
  await ensureDebianPackages(EXTERNALIZED_BUILTINS);
  const root = join(cacheDir, "root");
  if (!existsSync(join(root, "usr/bin/node"))) await unpackDebs(PACKAGES, cacheDir);
  // The probe's unit user runs it too: readable by all whatever the umask of the run that unpacked it
  // (one under umask 077 left libnode.so unreadable: "cannot open shared object file").
  for (let dir = cacheDir; dir !== dirname(dir) && dir !== tmpdir(); dir = dirname(dir)) await chmod(dir, 0o755);
  await run("chmod", ["-R", "a+rX", cacheDir]);
  const runtime = node18(cacheDir);
  // Runs a script, not just --version: that is what needs the externalized builtins.
  const { stdout, stderr, code } = await run(runtime.node, ["-e", "process.stdout.write(process.version)"], { env: runtime.env, allowFailure: true });
  if (stdout.trim() !== `v${NODE18_VERSION}`) {
    const missing = (await run("ldd", [runtime.node], { env: runtime.env, allowFailure: true })).stdout.split("\n").filter((l) => l.includes("not found"));
    throw new Error(`unpacked Node ${NODE18_VERSION} does not start (exit ${code}: ${stderr.trim() || stdout.trim()}); missing libraries: ${missing.join("; ") || "none"}`);
  }
  return runtime;
}
