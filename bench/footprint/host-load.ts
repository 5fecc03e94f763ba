// The host load of issue 13's benchmarks: 2,000 extra processes holding open
// files and TCP sockets (26k+ fds), and Postfix log lines arriving at 10,000
// messages an hour. Everything started here is stopped by stop(), and every
// process is bounded in time even if the bench is killed (`sleep 900`).
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";

/** How long a holder process lives at most, seconds: longer than any bench run. */
const HOLDER_LIFETIME_S = 900;

/** Running fd-holder processes. */
export interface FdHolders {
  /** Pids of the holder processes (the `sleep`s). */
  pids: number[];
  /** Open fds counted in /proc/PID/fd across the holders. */
  fds: number;
  /** TCP connections (both ends) the holders keep open, on a port the probe does not watch. */
  tcpConnections: number;
  stop(): Promise<void>;
}

/**
 * Starts `count` processes (one bash forking `sleep`s, its own process group)
 * that each hold 10 files and 3 TCP sockets besides stdio: a web host's
 * workers. One connection per 10 processes goes to a loopback listener here,
 * so /proc/net/tcp grows as it would (hundreds of lines) without an SMTP port.
 */
export async function startFdHolders(count: number): Promise<FdHolders> {
  const accepted: Socket[] = [];
  const server: Server = createServer((socket) => accepted.push(socket.on("error", () => undefined)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const groups = Math.ceil(count / 10);
  const script = [
    "set -e",
    // 10 files: the same on-disk files every worker of a pool has open.
    "exec 3</dev/null 4</etc/passwd 5</etc/hostname 6</etc/hosts 7</etc/os-release 8</dev/zero 9</dev/urandom",
    "exec 10</etc/services 11</etc/group 12</etc/shells",
    `for g in $(seq ${groups}); do`,
    `  exec 13<>/dev/tcp/127.0.0.1/${port} 14<>/dev/tcp/127.0.0.1/${port} 15<>/dev/tcp/127.0.0.1/${port}`,
    `  for i in 1 2 3 4 5 6 7 8 9 10; do sleep ${HOLDER_LIFETIME_S} & done`,
    "done",
    "exec 13>&- 14>&- 15>&-",
    "echo started",
    "wait",
  ].join("\n");
  const shell: ChildProcess = spawn("bash", ["-c", script], { detached: true, stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    shell.stdout!.on("data", (chunk: Buffer) => (chunk.toString().includes("started") ? resolve() : undefined));
    shell.once("exit", (code) => reject(new Error(`fd holders' shell exited with ${code}`)));
  });
  const pids = childPids(shell.pid!);
  let fds = 0;
  for (const pid of pids) fds += readdirSync(`/proc/${pid}/fd`).length;
  return {
    pids,
    fds,
    tcpConnections: groups * 3,
    stop: async () => {
      try {
        process.kill(-shell.pid!, "SIGKILL");
      } catch {
        // already gone
      }
      for (const socket of accepted) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Pids whose parent is `parent` (from /proc/PID/stat). */
export function childPids(parent: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "latin1");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === parent) pids.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function syslogNow(): string {
  const d = new Date();
  const hms = [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, " ")} ${hms}`;
}

function hex(digits: number): string {
  let out = "";
  for (let i = 0; i < digits; i++) out += "0123456789ABCDEF"[Math.floor(Math.random() * 16)];
  return out;
}

/** The Postfix log lines of one message submitted with SASL and relayed out: 7 lines. */
export function postfixMessageLines(n: number): string[] {
  const t = syslogNow();
  const qid = hex(11);
  const smtpd = 20_000 + (n % 5000);
  const client = `unknown[192.0.2.${1 + (n % 200)}]`;
  return [
    `${t} mail postfix/submission/smtpd[${smtpd}]: connect from ${client}`,
    `${t} mail postfix/submission/smtpd[${smtpd}]: ${qid}: client=${client}, sasl_method=LOGIN, sasl_username=user${n % 300}@example.org`,
    `${t} mail postfix/cleanup[3001]: ${qid}: message-id=<${Date.now()}.${qid}@mail.example.org>`,
    `${t} mail postfix/qmgr[3000]: ${qid}: from=<user${n % 300}@example.org>, size=${1000 + (n % 9000)}, nrcpt=1 (queue active)`,
    `${t} mail postfix/submission/smtpd[${smtpd}]: disconnect from ${client} ehlo=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=6`,
    `${t} mail postfix/smtp[${smtpd + 1}]: ${qid}: to=<r${n}@dest${n % 50}.example>, relay=mx.dest${n % 50}.example[198.51.100.${1 + (n % 250)}]:25, delay=0.4, delays=0.1/0/0.1/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as ${hex(10)})`,
    `${t} mail postfix/qmgr[3000]: ${qid}: removed`,
  ];
}

/** Appends one message's lines to `path` every 3600000/messagesPerHour ms; returns the function that stops it. */
export function startLogTraffic(path: string, messagesPerHour: number): { stop: () => void; messages: () => number } {
  let n = 0;
  const timer = setInterval(() => appendFileSync(path, `${postfixMessageLines(n++).join("\n")}\n`), 3_600_000 / messagesPerHour);
  return { stop: () => clearInterval(timer), messages: () => n };
}
