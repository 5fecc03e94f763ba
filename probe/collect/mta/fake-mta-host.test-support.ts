import { createFakeProcTree, writeFakeProcess, type FakeProcTree } from "../sockets/fake-proc-tree.test-support.js";
import type { FakeHostEntry } from "./fake-host-tree.test-support.js";

/** A process of a fake MTA host. */
export interface FakeMtaProcess {
  /** Process id. */
  pid: number;
  /** /proc/PID/comm, without the newline. */
  comm: string;
  /** Target of /proc/PID/exe. */
  exe: string;
  /** Command line; default [exe]. */
  argv?: string[];
  /** fd → socket inode. */
  sockets?: Record<number, number>;
}

/** Header line of /proc/net/tcp{,6}. */
export const TCP_HEADER =
  "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

/** A LISTEN line of /proc/net/tcp on 0.0.0.0:25 with the given inode. */
export function listen25(slot: number, inode: number): string {
  return `   ${slot}: 00000000:0019 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 100 0 0 10 0\n`;
}

/** A fake /proc with these processes and a /proc/net/tcp holding `tcp` lines; the caller removes it. */
export async function createFakeMtaProcs(list: FakeMtaProcess[], tcp = ""): Promise<FakeProcTree> {
  const tree = await createFakeProcTree();
  for (const p of list) {
    const fds: Record<number, string> = {};
    for (const [fd, inode] of Object.entries(p.sockets ?? {})) fds[Number(fd)] = `socket:[${inode}]`;
    await writeFakeProcess(tree.root, {
      pid: p.pid,
      comm: `${p.comm}\n`,
      exe: p.exe,
      cmdline: (p.argv ?? [p.exe]).join("\0") + "\0",
      fds,
    });
  }
  await tree.writeNet(TCP_HEADER + tcp, TCP_HEADER);
  return tree;
}

// `postconf mail_version daemon_directory queue_directory maillog_file command_directory sendmail_path`
// as Debian 12's Postfix 3.7.11 printed it (with maillog_file set by postconf -e).
export const DEBIAN_POSTCONF = `mail_version = 3.7.11
daemon_directory = /usr/lib/postfix/sbin
queue_directory = /var/spool/postfix
maillog_file = /var/log/mail.log
command_directory = /usr/sbin
sendmail_path = /usr/sbin/sendmail
`;
/** The fake runner key of the postconf call detection makes. */
export const POSTCONF_KEY = "postconf mail_version daemon_directory queue_directory maillog_file command_directory sendmail_path";

/** Files of Debian 12 with Postfix installed (rsyslog writing mail.log and mail.err). */
export const DEBIAN_POSTFIX_FILES: Record<string, FakeHostEntry> = {
  "/etc/debian_version": "12.8\n",
  "/usr/sbin/postconf": { exec: "" },
  "/usr/sbin/postfix": { exec: "" },
  "/usr/sbin/postqueue": { exec: "" },
  "/usr/sbin/postdrop": { exec: "" },
  "/usr/sbin/sendmail": { exec: "" },
  "/usr/sbin/postmap.txt": "not a binary",
  "/usr/bin/mailq": { link: "../sbin/sendmail" },
  "/usr/lib/postfix/sbin/master": { exec: "" },
  "/usr/lib/postfix/sbin/qmgr": { exec: "" },
  "/usr/lib/postfix/sbin/smtp": { exec: "" },
  "/usr/lib/postfix/sbin/smtpd": { exec: "" },
  "/usr/lib/postfix/sbin/pickup": { exec: "" },
  "/usr/lib/postfix/sbin/local": { exec: "" },
  "/var/log/mail.log": "",
  "/etc/rsyslog.conf": "mail.*\t\t\t-/var/log/mail.log\nmail.err\t\t\t/var/log/mail.err\n*.*;mail.none\t\t-/var/log/syslog\n",
  "/var/log/mail.err": "",
  "/var/log/syslog": "",
};


/** Files of Debian 12's exim4 installed beside them (not running). */
export const DEBIAN_EXIM_FILES: Record<string, FakeHostEntry> = {
  "/usr/sbin/exim4": { exec: "" },
  "/usr/sbin/exim": { link: "exim4" },
  "/var/log/exim4/mainlog": "",
};

/** Fake runner answers of that exim4 (real Debian 12 exim4 4.96 output). */
export const DEBIAN_EXIM_ANSWERS: Record<string, string> = {
  "exim4 -bV": "Exim version 4.96 #2 built 26-Nov-2026 14:26:47\nCopyright (c) University of Cambridge, 1995 - 2018\n",
  "exim4 -bP spool_directory log_file_path": "spool_directory = /var/spool/exim4\nlog_file_path = /var/log/exim4/%slog\n",
};
