// `npm run release [-- --version X.Y.Z] [--out DIR]`: builds both bundles with
// the version compiled in, then writes into DIR (default release/):
//   spamtrace-probe-<v>.tar.gz      spamtrace-probe-<v>/{spamtrace-probe.cjs, spamtrace-probe.service,
//                                   probe.example.yaml, README.md}
//   spamtrace-collector-<v>.tar.gz  spamtrace-collector-<v>/{bin/spamtrace.js, dist/, package.json,
//                                   package-lock.json, spamtrace-collector.service, collector.example.yaml, README.md}
// and a `sha256sum -c` file beside each. Tarballs are reproducible (sorted,
// owner 0, mtime of the last commit, gzip -n): the same sources and version
// give the same sha256, so a re-run of the Ansible roles changes nothing.
// --version exists so tests can roll out a "newer" artifact.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildAll, kib, PROBE_BUNDLE_NAME } from "./build-bundles.js";
import { REPO_ROOT, readPackageVersion } from "./package-info.js";

/** A version a tarball name and `npm install` accept: semver, optionally with a pre-release or build suffix. */
const VERSION_PATTERN = /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/;

/** Run-time-only dependencies removed from the collector's package.json: the release runs the bundle, not TypeScript. */
const SOURCE_ONLY_DEPENDENCIES = ["tsx"];

interface PackageJson {
  name: string;
  version: string;
  description?: string;
  type?: string;
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
  [key: string]: unknown;
}

const { values } = parseArgs({ options: { version: { type: "string" }, out: { type: "string" } }, strict: true });
const version = values.version ?? readPackageVersion();
if (!VERSION_PATTERN.test(version)) {
  process.stderr.write(`release: --version ${version} must look like 1.2.3 or 1.2.3-rc.1\n`);
  process.exit(2);
}
const outDir = resolve(values.out ?? join(REPO_ROOT, "release"));
mkdirSync(outDir, { recursive: true });

const staging = mkdtempSync(join(tmpdir(), "spamtrace-release-"));
try {
  // Built apart from dist/: a release of another version leaves the checkout's own build alone.
  const distDir = join(staging, "dist");
  const built = await buildAll(version, distDir);
  const probeDir = join(staging, `spamtrace-probe-${version}`);
  mkdirSync(probeDir);
  copyFileSync(join(distDir, PROBE_BUNDLE_NAME), join(probeDir, PROBE_BUNDLE_NAME));
  copyIfPresent("deploy/systemd/spamtrace-probe.service", join(probeDir, "spamtrace-probe.service"));
  copyFileSync(join(REPO_ROOT, "deploy/probe.example.yaml"), join(probeDir, "probe.example.yaml"));
  writeReadme("deploy/release/probe-README.md", join(probeDir, "README.md"));

  const collectorDir = join(staging, `spamtrace-collector-${version}`);
  mkdirSync(join(collectorDir, "bin"), { recursive: true });
  mkdirSync(join(collectorDir, "dist"));
  for (const file of readdirSync(distDir).filter((f) => f.endsWith(".js"))) copyFileSync(join(distDir, file), join(collectorDir, "dist", file));
  copyFileSync(join(REPO_ROOT, "bin/spamtrace.js"), join(collectorDir, "bin/spamtrace.js"));
  writeFileSync(join(collectorDir, "package.json"), `${JSON.stringify(collectorPackageJson(version), null, 2)}\n`);
  writeFileSync(join(collectorDir, "package-lock.json"), collectorLock(version));
  // Prune the lock to what `npm install --omit=dev` on the collector host writes back (no dev or
  // tsx entries), so installing leaves the unpacked release unchanged (a role re-run changes nothing).
  execFileSync("npm", ["install", "--package-lock-only", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"], {
    cwd: collectorDir,
    stdio: ["ignore", "ignore", "inherit"],
  });
  copyIfPresent("deploy/systemd/spamtrace-collector.service", join(collectorDir, "spamtrace-collector.service"));
  copyFileSync(join(REPO_ROOT, "deploy/collector.example.yaml"), join(collectorDir, "collector.example.yaml"));
  writeReadme("deploy/release/collector-README.md", join(collectorDir, "README.md"));

  const lines = [`built ${version}: probe bundle ${kib(built.probeBytes)} (${built.probeBreakdown.slice(0, 6).map(([n, b]) => `${n} ${kib(b)}`).join(", ")}, ...)`];
  for (const dir of [probeDir, collectorDir]) {
    const tarball = tarGz(dir, outDir);
    lines.push(`${tarball} ${kib(statSync(tarball).size)} (sha256 ${readFileSync(`${tarball}.sha256`, "utf8").split(" ")[0]})`);
  }
  process.stdout.write(`${lines.join("\n")}\n`);
} finally {
  rmSync(staging, { recursive: true, force: true });
}

function copyIfPresent(relative: string, target: string): void {
  const source = join(REPO_ROOT, relative);
  if (existsSync(source)) copyFileSync(source, target);
  else process.stderr.write(`release: ${relative} is missing; the tarball ships without it\n`);
}

function writeReadme(template: string, target: string): void {
  writeFileSync(target, readFileSync(join(REPO_ROOT, template), "utf8").replaceAll("{{VERSION}}", version));
}

/** package.json of the collector release: production dependencies, the `spamtrace` command, nothing to build. */
function collectorPackageJson(releaseVersion: string): PackageJson {
  const source = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as PackageJson;
  const dependencies = Object.fromEntries(Object.entries(source.dependencies ?? {}).filter(([name]) => !SOURCE_ONLY_DEPENDENCIES.includes(name)));
  return {
    name: `${source.name}-collector`,
    version: releaseVersion,
    private: true,
    description: source.description,
    type: source.type,
    engines: source.engines,
    bin: { spamtrace: "bin/spamtrace.js" },
    dependencies,
  };
}

/**
 * The repository's lock with the release's name, version and dependencies at
 * its root, so `npm install --omit=dev` installs exactly the locked versions.
 */
function collectorLock(releaseVersion: string): string {
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8")) as {
    name: string;
    version: string;
    packages: Record<string, Record<string, unknown>>;
  };
  const pkg = collectorPackageJson(releaseVersion);
  lock.name = pkg.name;
  lock.version = releaseVersion;
  const root = lock.packages[""] ?? {};
  lock.packages[""] = { ...root, name: pkg.name, version: releaseVersion, bin: pkg.bin, dependencies: pkg.dependencies, devDependencies: undefined };
  return `${JSON.stringify(lock, null, 2)}\n`;
}

/** Writes DIR/<name>.tar.gz (reproducible) and its .sha256; returns the tarball path. */
function tarGz(dir: string, out: string): string {
  const name = basename(dir);
  const tarball = join(out, `${name}.tar.gz`);
  const mtime = sourceDateEpoch();
  execFileSync("tar", [
    "--sort=name", "--owner=0", "--group=0", "--numeric-owner", `--mtime=@${mtime}`, "--mode=u+rw,go+rX,go-w",
    "--use-compress-program=gzip -n -9", "-cf", tarball, "-C", join(dir, ".."), name,
  ]);
  const hex = createHash("sha256").update(readFileSync(tarball)).digest("hex");
  writeFileSync(`${tarball}.sha256`, `${hex}  ${basename(tarball)}\n`);
  return tarball;
}

/** SOURCE_DATE_EPOCH, else the last commit's time, else now: the mtime of every file in the tarballs. */
function sourceDateEpoch(): number {
  if (process.env.SOURCE_DATE_EPOCH) return Number(process.env.SOURCE_DATE_EPOCH);
  try {
    return Number(execFileSync("git", ["log", "-1", "--format=%ct"], { cwd: REPO_ROOT, encoding: "utf8" }).trim());
  } catch {
    return Math.floor(Date.now() / 1000);
  }
}
