// A real Postfix (+ Dovecot SASL) for integration tests, as its own instance.
//
// Why a separate instance (`postfix -c <lab>/etc`) and not the default
// /etc/postfix one: the default instance may already be running for someone
// else (it holds 127.0.0.1:25 on the dev machines), and tests must not
// disturb it. The lab instance has its own main.cf/master.cf, queue, data
// directory, log file (postlogd's maillog_file) and loopback address. The only
// change outside the lab is one `alternate_config_directories` entry in the
// default main.cf: Postfix's set-gid postdrop refuses a non-default config
// directory from a non-root caller unless it is listed there, and local
// submissions from a web user go through postdrop.
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, readFile, writeFile } from "node:fs/promises";
import { requireDebianPackages, testPackages } from "../apt-packages.js";
import { fileTail, registerDiagnostic } from "../failure-diagnostics.js";
import { freePort } from "../free-port.js";
import { waitFor } from "../wait-for.js";
import {
  DEFAULT_LAB_USERS,
  LAB_ROOT,
  type LabUser,
  descendants,
  prepareLabDir,
  ensureWebUser,
  fileSize,
  lookupUser,
  pidAlive,
  processName,
  readPidFile,
  renderTemplate,
  requireRoot,
  run,
  stopProcessTree,
  waitForBanner,
} from "./lab-common.js";

export { DEFAULT_LAB_USERS, type LabUser };

/** Options of {@link startPostfixLab}; every field has a working default. */
export interface PostfixLabOptions {
  /** Working folder (wiped and rebuilt at each start). Default /var/lib/spamtrace-test/postfix-lab-<pid>. */
  labDir?: string;
  /** Loopback address the instance listens on. Default 127.0.0.26. */
  smtpHost?: string;
  /** Local domain (mydestination). Default lab.test. */
  domain?: string;
  /** SASL accounts. Default alice/alice-pass, bob/bob-pass. */
  users?: readonly LabUser[];
  /** System user that owns a web root and receives postmaster mail. Default webuser1. */
  webUser?: string;
  /** mynetworks when not an open relay. Default "127.0.0.1/32 <smtpHost>/32". */
  mynetworks?: string;
}

/** A running lab Postfix instance and what tests need to drive and inspect it. */
export interface PostfixLab {
  /** Loopback address of both listeners. */
  smtpHost: string;
  /** Plain SMTP port (no AUTH; relay allowed only from mynetworks). */
  smtpPort: number;
  /** Submission port: AUTH PLAIN/LOGIN over plaintext through Dovecot. */
  submissionPort: number;
  /** Postfix's log file (postlogd maillog_file). */
  logPath: string;
  /** Dovecot's log file (auth failures with reasons). */
  dovecotLogPath: string;
  queueDir: string;
  configDir: string;
  /** Local domain: mail to unknown users here is accepted, then bounced. */
  domain: string;
  users: LabUser[];
  /** System user with /home/<user>/public_html, for local submissions. */
  webUser: string;
  /** Closed loopback port that relayhost points to, so outside mail defers. */
  deadEndPort: number;
  /** Postfix's sendmail; run it with {@link sendmailArgs} to reach this instance. */
  sendmailPath: string;
  /** `-C <configDir>`: selects the lab instance (needs the alternate_config_directories entry). */
  sendmailArgs: string[];
  /** Stops Postfix and Dovecot and waits until every process of theirs is gone. */
  stop(): Promise<void>;
  /** Switches mynetworks to 0.0.0.0/0 (open relay) or back, and reloads Postfix. */
  setOpenRelay(open: boolean): Promise<void>;
  /** Sets main.cf parameters (`postconf -e name=value`) and reloads Postfix, waiting until new smtpd processes use them. */
  configure(params: Readonly<Record<string, string>>): Promise<void>;
  /** `postqueue -j` output of the lab instance (one JSON object per line). */
  postqueueJson(): Promise<string>;
  /** Pids of every live process of the lab (Postfix master + children, Dovecot + children): for socket/process tests and leak checks. */
  daemonPids(): Promise<number[]>;
}

const DEFAULT_MAIN_CF = "/etc/postfix/main.cf";

/** Checks that Postfix, Dovecot and swaks are installed (the global setup installs them, with Postfix's default instance left unconfigured). */
export function requirePostfixLabPackages(): void {
  requireDebianPackages(testPackages("postfix", "dovecot-core", "swaks"));
}

/**
 * Starts a Postfix instance of its own with a submission service authenticating
 * through a Dovecot instance of its own; throws (never skips) if anything fails.
 */
export async function startPostfixLab(opts: PostfixLabOptions = {}): Promise<PostfixLab> {
  requireRoot("the Postfix lab");
  requirePostfixLabPackages();

  const labDir = opts.labDir ?? `${LAB_ROOT}/postfix-lab-${process.pid}`;
  const smtpHost = opts.smtpHost ?? "127.0.0.26";
  const domain = opts.domain ?? "lab.test";
  const users = [...(opts.users ?? DEFAULT_LAB_USERS)];
  const webUser = opts.webUser ?? "webuser1";
  const baseMynetworks = opts.mynetworks ?? `127.0.0.1/32 ${smtpHost}/32`;

  const configDir = `${labDir}/etc`;
  const queueDir = `${labDir}/queue`;
  const dataDir = `${labDir}/data`;
  const mailDir = `${labDir}/mail`;
  const logPath = `${labDir}/postfix.log`;
  const doveDir = `${labDir}/dovecot`;
  const doveBase = `${doveDir}/run`;
  const doveConf = `${doveDir}/dovecot.conf`;
  const dovecotLogPath = `${labDir}/dovecot.log`;
  const saslPath = `${doveDir}/sasl-auth`;

  await ensureWebUser(webUser);
  await prepareLabDir("postfix-lab", labDir, stopLabInDir);

  const [smtpPort, submissionPort, deadEndPort] = await distinctFreePorts(3);
  const postfix = await lookupUser("postfix");
  if (!postfix) throw new Error("the postfix package did not create the postfix user");

  await mkdir(configDir, { recursive: true });
  await mkdir(dataDir, { recursive: true });
  await mkdir(queueDir, { recursive: true });
  await mkdir(`${doveDir}/state`, { recursive: true });
  await mkdir(mailDir, { recursive: true });
  // local(8) creates each user's mailbox as that user, like /var/mail.
  await chmod(mailDir, 0o1777);
  await chown(dataDir, postfix.uid, postfix.gid);

  const mainValues = {
    LAB_DIR: labDir,
    CONFIG_DIR: configDir,
    QUEUE_DIR: queueDir,
    DATA_DIR: dataDir,
    LOG_PATH: logPath,
    HOSTNAME: `mail.${domain}`,
    DOMAIN: domain,
    SMTP_HOST: smtpHost,
    MYNETWORKS: baseMynetworks,
    DEAD_END_PORT: deadEndPort!,
    POSTMASTER: webUser,
    MAIL_DIR: mailDir,
  };
  await writeFile(`${configDir}/main.cf`, await renderTemplate("postfix-main.cf", mainValues));
  await writeFile(
    `${configDir}/master.cf`,
    await renderTemplate("postfix-master.cf", { SMTP_HOST: smtpHost, SMTP_PORT: smtpPort!, SUBMISSION_PORT: submissionPort!, SASL_PATH: saslPath }),
  );
  await writeFile(
    `${configDir}/header_checks`,
    "# Log PHP's mail() script header: the only script attribution Postfix can give.\n/^X-PHP-Originating-Script:/ WARN\n",
  );
  await writeFile(`${doveDir}/users`, users.map((u) => `${u.name}:{PLAIN}${u.password}\n`).join(""), { mode: 0o640 });
  // Dovecot's auth process runs as the dovecot user.
  const dovecot = await lookupUser("dovecot");
  if (!dovecot) throw new Error("the dovecot-core package did not create the dovecot user");
  await chown(`${doveDir}/users`, 0, dovecot.gid);
  await writeFile(
    doveConf,
    await renderTemplate("dovecot.conf", {
      BASE_DIR: doveBase,
      STATE_DIR: `${doveDir}/state`,
      LOG_PATH: dovecotLogPath,
      USERS_FILE: `${doveDir}/users`,
      SASL_PATH: saslPath,
    }),
  );
  // Non-root sendmail/postdrop read main.cf and traverse the lab.
  for (const dir of [LAB_ROOT, labDir, configDir]) await chmod(dir, 0o755);

  await allowAlternateConfigDir(configDir);

  const unregisterLogs = [
    registerDiagnostic(`Postfix lab log ${logPath}`, () => fileTail(logPath)),
    registerDiagnostic(`Dovecot lab log ${dovecotLogPath}`, () => fileTail(dovecotLogPath, 1500)),
  ];
  const stopped = { done: false };
  const stop = async (): Promise<void> => {
    if (stopped.done) return;
    stopped.done = true;
    for (const off of unregisterLogs) off();
    await stopPostfixInstance(configDir, queueDir);
    await stopDovecot(doveBase);
    await disallowAlternateConfigDir(configDir);
  };

  try {
    await run("dovecot", ["-c", doveConf], { timeoutMs: 20_000, outputFile: `${labDir}/daemon-start.log` });
    await waitFor("Dovecot's SASL socket", async () => (existsSync(saslPath) ? true : undefined), 15_000, 100);

    // `postfix start` creates the queue directories (post-install create-missing) itself.
    await run("postfix", ["-c", configDir, "start"], { timeoutMs: 30_000, outputFile: `${labDir}/daemon-start.log` });
    await waitForBanner(smtpHost, smtpPort!);
    await waitForBanner(smtpHost, submissionPort!);
  } catch (error) {
    await stop().catch(() => undefined);
    throw new Error(`Postfix lab did not start: ${(error as Error).message}\n${await fileTail(logPath, 2000)}`);
  }

  const configure = async (params: Readonly<Record<string, string>>): Promise<void> => {
    const before = await fileSize(logPath);
    const master = await readPidFile(`${queueDir}/pid/master.pid`);
    if (master === undefined || !pidAlive(master)) throw new Error("Postfix lab master is not running");
    // smtpd processes started before the reload keep the old mynetworks until they exit.
    const oldSmtpd = descendants(master).filter((pid) => processName(pid) === "smtpd");
    await run("postconf", ["-c", configDir, "-e", ...Object.entries(params).map(([name, value]) => `${name} = ${value}`)]);
    await run("postfix", ["-c", configDir, "reload"], { timeoutMs: 20_000, outputFile: `${labDir}/daemon-start.log` });
    // master logs the reload once it has re-read main.cf; new smtpd processes get the new value.
    await waitFor(
      "Postfix reload",
      async () => ((await readFile(logPath, "utf8")).slice(before).includes("reload -- version") ? true : undefined),
      15_000,
      100,
    );
    await waitFor("pre-reload smtpd processes to exit", async () => (oldSmtpd.some(pidAlive) ? undefined : true), 15_000, 100);
  };

  return {
    smtpHost,
    smtpPort: smtpPort!,
    submissionPort: submissionPort!,
    logPath,
    dovecotLogPath,
    queueDir,
    configDir,
    domain,
    users,
    webUser,
    deadEndPort: deadEndPort!,
    sendmailPath: "/usr/sbin/sendmail",
    sendmailArgs: ["-C", configDir],
    stop,
    async setOpenRelay(open: boolean): Promise<void> {
      await configure({ mynetworks: open ? "0.0.0.0/0" : baseMynetworks });
    },
    configure,
    async postqueueJson(): Promise<string> {
      return (await run("postqueue", ["-c", configDir, "-j"], { timeoutMs: 20_000 })).stdout;
    },
    async daemonPids(): Promise<number[]> {
      const pids: number[] = [];
      for (const pidFile of [`${queueDir}/pid/master.pid`, `${doveBase}/master.pid`]) {
        const pid = await readPidFile(pidFile);
        if (pid !== undefined && pidAlive(pid)) pids.push(pid, ...descendants(pid));
      }
      return pids.filter(pidAlive);
    },
  };
}

/** Free ports that differ from each other (freePort alone may hand the same one back twice). */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Stops the Postfix and Dovecot of a lab folder (this one before a restart, or one a dead test run left). */
async function stopLabInDir(labDir: string): Promise<void> {
  await stopPostfixInstance(`${labDir}/etc`, `${labDir}/queue`);
  await stopDovecot(`${labDir}/dovecot/run`);
  await disallowAlternateConfigDir(`${labDir}/etc`);
}

async function stopPostfixInstance(configDir: string, queueDir: string): Promise<void> {
  const pid = await readPidFile(`${queueDir}/pid/master.pid`);
  if (pid === undefined || !pidAlive(pid)) return;
  // Only ever signal this instance's master (found by its own pid file): the
  // default instance runs the very same command line.
  await run("postfix", ["-c", configDir, "stop"], { allowFailure: true, timeoutMs: 20_000 });
  await stopProcessTree(pid, 15_000);
}

async function stopDovecot(baseDir: string): Promise<void> {
  const pid = await readPidFile(`${baseDir}/master.pid`);
  if (pid === undefined || !pidAlive(pid)) return;
  await stopProcessTree(pid, 10_000);
}

/** Adds the lab's config dir to the default main.cf's alternate_config_directories (creating a minimal main.cf if the package left none). */
async function allowAlternateConfigDir(configDir: string): Promise<void> {
  const current = await currentAlternateDirs();
  if (current.includes(configDir)) return;
  if (!existsSync(DEFAULT_MAIN_CF)) {
    await writeFile(DEFAULT_MAIN_CF, "# Written by spamtrace's test lab so set-gid postdrop accepts the lab's config dir.\ncompatibility_level = 3.6\n");
  }
  await run("postconf", ["-e", `alternate_config_directories = ${[...current, configDir].join(" ")}`]);
}

async function disallowAlternateConfigDir(configDir: string): Promise<void> {
  const current = await currentAlternateDirs();
  if (!current.includes(configDir)) return;
  await run("postconf", ["-e", `alternate_config_directories = ${current.filter((d) => d !== configDir).join(" ")}`]);
}

async function currentAlternateDirs(): Promise<string[]> {
  if (!existsSync(DEFAULT_MAIN_CF)) return [];
  const r = await run("postconf", ["-h", "alternate_config_directories"], { allowFailure: true });
  return r.stdout.split(/[\s,]+/).filter(Boolean);
}

