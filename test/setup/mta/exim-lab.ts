// A real Exim for integration tests, beside Postfix.
//
// Exim and Postfix conflict as Debian packages, so Exim is never installed:
// `apt-get download` fetches exim4-daemon-light (+ exim4-base, exim4-config)
// and `dpkg -x` unpacks them into a cache folder. Each lab copies the binary,
// keeps it setuid root like a real install, and patches its compiled-in
// configuration path (Exim leaves padding after it for such edits) to the
// lab's own config. Why patch instead of `-C <config>`: a non-root caller that
// passes -C makes Exim drop root, and local submissions from a web user then
// fail; with the patched path `runuser -u webuser1 -- exim -t` works exactly as
// `sendmail -t` from a PHP script does on a real Exim host, and logs the
// caller's cwd= and U=webuser1.
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { ensureDebianPackages, requireDebianPackages, testPackages } from "../apt-packages.js";
import { unpackDebs } from "../unpack-debs.js";
import { fileTail, registerDiagnostic } from "../failure-diagnostics.js";
import { freePort } from "../free-port.js";
import { waitFor } from "../wait-for.js";
import {
  DEFAULT_LAB_USERS,
  LAB_ROOT,
  type LabUser,
  descendants,
  prepareLabDir,
  ensureSystemUser,
  ensureWebUser,
  pidAlive,
  pidsWithArg,
  readPidFile,
  renderTemplate,
  requireRoot,
  run,
  stopProcessTree,
  killAndWait,
  waitForBanner,
} from "./lab-common.js";

/** Where the unpacked Exim packages are cached between runs (a re-run skips the download). */
export const EXIM_CACHE_DIR = "/var/cache/spamtrace-test/exim";

/** Options of {@link startEximLab}; every field has a working default. */
export interface EximLabOptions {
  /** Working folder (wiped and rebuilt at each start). Default /var/lib/spamtrace-test/exim-lab-<pid>. */
  labDir?: string;
  /** Loopback address the daemon listens on. Default 127.0.0.27. */
  smtpHost?: string;
  /** Local domain. Default exim.test. */
  domain?: string;
  /** SASL accounts (PLAIN and LOGIN). Default alice/alice-pass, bob/bob-pass. */
  users?: readonly LabUser[];
  /** System user with a web root, for local submissions. Default webuser1. */
  webUser?: string;
  /** relay_from_hosts when not an open relay. Default "127.0.0.1 : <smtpHost>". */
  relayFromHosts?: string;
  /** Exim log_selector. Default "+all" (cwd=, A=, I=, confirmations, pids, milliseconds). */
  logSelector?: string;
  /** Cache of the unpacked packages. Default /var/cache/spamtrace-test/exim. */
  cacheDir?: string;
}

/** A running lab Exim daemon and what tests need to drive and inspect it. */
export interface EximLab {
  smtpHost: string;
  /** One SMTP port: plain SMTP and AUTH PLAIN/LOGIN over plaintext. */
  smtpPort: number;
  /** Exim's mainlog. */
  logPath: string;
  /** Exim's rejectlog (auth failures and rejected RCPTs also land here). */
  rejectLogPath: string;
  /** Exim's paniclog (should stay empty). */
  panicLogPath: string;
  spoolDir: string;
  /** The lab's setuid copy of the Exim binary (compiled-in config = {@link configPath}). */
  eximPath: string;
  configPath: string;
  /** Local domain: known users get a mailbox file, unknown users are accepted then bounced. */
  domain: string;
  users: LabUser[];
  webUser: string;
  /** Closed loopback port that remote deliveries go to, so outside mail defers. */
  deadEndPort: number;
  /** Same as eximPath: Exim's sendmail interface. */
  sendmailPath: string;
  /** No extra arguments needed: the binary already reads the lab's config. */
  sendmailArgs: string[];
  /** Stops the daemon and any Exim process started from the lab's binary. */
  stop(): Promise<void>;
  /** Sets relay_from_hosts to "*" (open relay) or back, and restarts the daemon with SIGHUP. */
  setOpenRelay(open: boolean): Promise<void>;
  /** Runs `exim -t` as `user` from `cwd` with `message` (headers + body) on stdin, as a web script's mail() would. */
  submitAs(user: string, cwd: string, message: string): Promise<void>;
  /** `exim -bp` output (the queue, frozen messages included). */
  queueListing(): Promise<string>;
  /** Pids of every live process of the lab (daemon, its children, anything running the lab's binary): for socket/process tests and leak checks. */
  daemonPids(): Promise<number[]>;
}


/**
 * Downloads and unpacks Exim into the cache (once), and installs any shared
 * library it needs that the machine lacks; returns the unpacked exim4 path.
 * Throws when it cannot: a test needing Exim must fail, not skip.
 */
export async function ensureEximUnpacked(cacheDir = EXIM_CACHE_DIR): Promise<string> {
  requireRoot("unpacking Exim");
  const root = `${cacheDir}/root`;
  const binary = `${root}/usr/sbin/exim4`;
  if (!existsSync(binary)) await unpackDebs(["exim4-daemon-light", "exim4-base", "exim4-config"], cacheDir);
  // dpkg -x keeps the setuid bit; the cached copy is only ever copied, so it need not be setuid root.
  await chmod(binary, 0o755);
  await ensureEximLibraries(binary);
  return binary;
}

/** Installs the shared libraries exim4-daemon-light depends on when ldd finds one missing (never the package itself: it would replace Postfix). */
async function ensureEximLibraries(binary: string): Promise<void> {
  const missing = (await run("ldd", [binary], { allowFailure: true })).stdout.split("\n").filter((l) => l.includes("not found"));
  if (missing.length === 0) return;
  const depends = (await run("apt-cache", ["depends", "--no-recommends", "--no-suggests", "exim4-daemon-light"], { timeoutMs: 60_000 })).stdout
    .split("\n")
    .map((l) => /^\s+Depends: (lib[^\s<>]+)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined);
  const arch = (await run("dpkg", ["--print-architecture"])).stdout.trim();
  const packages = [];
  for (const name of [...new Set(depends)]) {
    const multiArch = /Multi-Arch: same/.test((await run("apt-cache", ["show", "--no-all-versions", name], { allowFailure: true })).stdout);
    packages.push({ name, marker: `/var/lib/dpkg/info/${name}${multiArch ? `:${arch}` : ""}.list` });
  }
  await ensureDebianPackages(packages);
  const still = (await run("ldd", [binary], { allowFailure: true })).stdout.split("\n").filter((l) => l.includes("not found"));
  if (still.length > 0) throw new Error(`Exim still lacks shared libraries: ${still.join("; ")}`);
}

/** Copies the Exim binary and points its compiled-in configuration path at `configPath` (the binary keeps padding after that string for this). */
async function patchedEximBinary(source: string, target: string, configPath: string): Promise<void> {
  const data = await readFile(source);
  const marker = Buffer.from("<-----------Space to patch configure_filename->");
  const markerAt = data.indexOf(marker);
  if (markerAt < 0) throw new Error(`${source}: no configure_filename patch space found (not a Debian Exim 4 build?)`);
  // The compiled-in path is the NUL-terminated string just before the marker.
  const nulBefore = data.lastIndexOf(0, markerAt - 2);
  const start = nulBefore + 1;
  const original = data.subarray(start, markerAt - 1).toString("latin1");
  if (!original.startsWith("/")) throw new Error(`${source}: unexpected compiled-in configure_filename ${JSON.stringify(original)}`);
  const room = markerAt + marker.length - start; // path + NUL must fit here
  const wanted = Buffer.from(configPath, "latin1");
  if (wanted.length + 1 > room) throw new Error(`config path ${configPath} is too long for Exim's patch space (${room - 1} bytes)`);
  data.fill(0, start, markerAt + marker.length);
  wanted.copy(data, start);
  await writeFile(target, data);
  await chown(target, 0, 0);
  // setuid root as installed by Debian: local submissions need it.
  await chmod(target, 0o4755);
}

/**
 * Starts an Exim daemon of its own (unpacked, patched binary; own config,
 * spool, logs and pid file) on a loopback address; throws if anything fails.
 */
export async function startEximLab(opts: EximLabOptions = {}): Promise<EximLab> {
  requireRoot("the Exim lab");
  requireDebianPackages(testPackages("swaks"));
  const cacheBinary = await ensureEximUnpacked(opts.cacheDir ?? EXIM_CACHE_DIR);

  const labDir = opts.labDir ?? `${LAB_ROOT}/exim-lab-${process.pid}`;
  const smtpHost = opts.smtpHost ?? "127.0.0.27";
  const domain = opts.domain ?? "exim.test";
  const users = [...(opts.users ?? DEFAULT_LAB_USERS)];
  const webUser = opts.webUser ?? "webuser1";
  const baseRelayFrom = opts.relayFromHosts ?? `127.0.0.1 : ${smtpHost}`;
  const eximPath = `${labDir}/bin/exim4`;
  const configPath = `${labDir}/exim.conf`;
  const spoolDir = `${labDir}/spool`;
  const logDir = `${labDir}/log`;
  const mailDir = `${labDir}/mail`;
  const pidFile = `${labDir}/exim.pid`;
  const passwdFile = `${labDir}/passwd`;

  const exim = await ensureSystemUser("Debian-exim", "/var/spool/exim4");
  await ensureWebUser(webUser);
  await prepareLabDir("exim-lab", labDir, (dir) => stopEximLab(`${dir}/bin/exim4`, `${dir}/exim.pid`));

  const smtpPort = await freePort();
  let deadEndPort = await freePort();
  while (deadEndPort === smtpPort) deadEndPort = await freePort();

  await mkdir(`${labDir}/bin`, { recursive: true });
  for (const dir of [spoolDir, logDir, mailDir]) {
    await mkdir(dir, { recursive: true });
    await chown(dir, exim.uid, exim.gid);
    await chmod(dir, 0o750);
  }
  // A web user runs the binary, so the path to it must be traversable.
  for (const dir of [LAB_ROOT, labDir, `${labDir}/bin`]) await chmod(dir, 0o755);
  await patchedEximBinary(cacheBinary, eximPath, configPath);

  await writeFile(passwdFile, users.map((u) => `${u.name}: ${u.password}\n`).join(""));
  // Read by the SMTP reception process, which runs as the Exim user.
  await chown(passwdFile, 0, exim.gid);
  await chmod(passwdFile, 0o640);

  const writeConfig = async (relayFrom: string): Promise<void> => {
    const text = await renderTemplate("exim.conf", {
      HOSTNAME: `mail.${domain}`,
      DOMAIN: domain,
      RELAY_FROM_HOSTS: relayFrom,
      SMTP_HOST: smtpHost,
      SMTP_PORT: smtpPort,
      EXIM_PATH: eximPath,
      SPOOL_DIR: spoolDir,
      LOG_DIR: logDir,
      PID_FILE: pidFile,
      LOG_SELECTOR: opts.logSelector ?? "+all",
      LOCAL_PARTS: [...new Set([...users.map((u) => u.name), webUser, "postmaster"])].join(" : "),
      DEAD_END_PORT: deadEndPort,
      MAIL_DIR: mailDir,
      PASSWD_FILE: passwdFile,
    });
    // Exim trusts only a root-owned config that nobody else can write; replace it whole.
    await writeFile(`${configPath}.new`, text, { mode: 0o644 });
    await rename(`${configPath}.new`, configPath);
  };
  await writeConfig(baseRelayFrom);

  const check = await run(eximPath, ["-bV"], { allowFailure: true });
  if (check.code !== 0 || !check.stdout.includes(`Configuration file is ${configPath}`)) {
    throw new Error(`patched Exim does not accept its config: ${check.stderr}${check.stdout}`);
  }

  const logPath = `${logDir}/mainlog`;
  const unregisterLog = registerDiagnostic(`Exim lab log ${logPath}`, () => fileTail(logPath));
  const stopped = { done: false };
  const stop = async (): Promise<void> => {
    if (stopped.done) return;
    stopped.done = true;
    unregisterLog();
    await stopEximLab(eximPath, pidFile);
    // Leave no setuid-root binary behind once the lab is down (the logs stay for debugging).
    if (existsSync(eximPath)) await chmod(eximPath, 0o755);
  };

  try {
    // -bd: listen; -q5m: queue runs every 5 minutes (the retry rules keep deferred mail waiting anyway).
    await run(eximPath, ["-bd", "-q5m"], { timeoutMs: 20_000, outputFile: `${labDir}/daemon-start.log` });
    await waitFor("Exim's pid file", async () => ((await readPidFile(pidFile)) !== undefined ? true : undefined), 15_000, 100);
    await waitForBanner(smtpHost, smtpPort);
  } catch (error) {
    await stop().catch(() => undefined);
    const panic = existsSync(`${logDir}/paniclog`) ? await readFile(`${logDir}/paniclog`, "utf8") : "";
    throw new Error(`Exim lab did not start: ${(error as Error).message}\n${panic.slice(-2000)}`);
  }

  return {
    smtpHost,
    smtpPort,
    logPath,
    rejectLogPath: `${logDir}/rejectlog`,
    panicLogPath: `${logDir}/paniclog`,
    spoolDir,
    eximPath,
    configPath,
    domain,
    users,
    webUser,
    deadEndPort,
    sendmailPath: eximPath,
    sendmailArgs: [],
    stop,
    async setOpenRelay(open: boolean): Promise<void> {
      await writeConfig(open ? "*" : baseRelayFrom);
      const pid = await readPidFile(pidFile);
      if (pid === undefined || !pidAlive(pid)) throw new Error("Exim lab daemon is not running");
      const started = async (): Promise<number> => ((await readFile(logPath, "utf8")).match(/daemon started/g) ?? []).length;
      const before = await started();
      // SIGHUP makes the daemon re-exec itself and re-read its configuration.
      process.kill(pid, "SIGHUP");
      await waitFor("Exim daemon restart", async () => ((await started()) > before ? true : undefined), 15_000, 100);
      await waitForBanner(smtpHost, smtpPort);
    },
    async submitAs(user: string, cwd: string, message: string): Promise<void> {
      const r = await run("runuser", ["-u", user, "--", eximPath, "-t", "-i"], { cwd, input: message, allowFailure: true, timeoutMs: 30_000 });
      if (r.code !== 0) throw new Error(`exim -t as ${user} in ${cwd} exited ${r.code}: ${r.stderr}${r.stdout}`);
    },
    async queueListing(): Promise<string> {
      return (await run(eximPath, ["-bp"], { timeoutMs: 20_000 })).stdout;
    },
    async daemonPids(): Promise<number[]> {
      const pid = await readPidFile(pidFile);
      const pids = pid !== undefined && pidAlive(pid) ? [pid, ...descendants(pid)] : [];
      pids.push(...(await pidsWithArg(eximPath)));
      return [...new Set(pids)].filter(pidAlive);
    },
  };
}

/** Stops the daemon (by its own pid file) and every process still running the lab's binary (deliveries, queue runners). */
async function stopEximLab(eximPath: string, pidFile: string): Promise<void> {
  const pid = await readPidFile(pidFile);
  if (pid !== undefined && pidAlive(pid)) await stopProcessTree(pid, 10_000);
  for (const other of await pidsWithArg(eximPath)) await killAndWait(other, 5_000);
}
