/*
 * Output captured on one Linux host (lsof 4.95.0, procps-ng 4.0.2, kernel
 * /proc) at the same moment, so both socket sources can be checked against
 * each other. Setup: pid 7204 `node /tmp/cap/srv.cjs` (root, cwd /tmp/cap)
 * listening on 127.0.0.1:38663 and [::]:44905 and connected to itself over
 * ::1; pid 7213 a copy of bash at /tmp/cap/mailer running as nobody (65534)
 * with cwd /tmp, connected to 127.0.0.1:38663 on fds 0 and 3, its executable
 * deleted after start. Ports watched: 38663 and 44905.
 */
import type { SocketRecord } from "../../../shared/types/socket-record.js";
import { fakeStat, fakeStatus, type FakeProcess } from "./fake-proc-tree.test-support.js";

/** Ports watched in the capture. */
export const CAPTURED_PORTS: readonly number[] = [38663, 44905];

/** `lsof -n -P -w +c 0 -F pcRuLftdinTP -i tcp:38663,44905` */
export const CAPTURED_LSOF_SOCKETS = `p7204
R7202
cnode
u0
Lroot
f19
tIPv4
d16372
PTCP
n127.0.0.1:38663
TST=LISTEN
TQR=0
TQS=0
f20
tIPv6
d16373
PTCP
n*:44905
TST=LISTEN
TQR=0
TQS=0
f21
tIPv6
d16374
PTCP
n[::1]:52028->[::1]:44905
TST=ESTABLISHED
TQR=0
TQS=0
f22
tIPv6
d16375
PTCP
n[::1]:44905->[::1]:52028
TST=ESTABLISHED
TQR=0
TQS=0
f23
tIPv4
d17411
PTCP
n127.0.0.1:38663->127.0.0.1:49984
TST=ESTABLISHED
TQR=0
TQS=0
p7213
R7195
cmailer
u65534
Lnobody
f0
tIPv4
d17410
PTCP
n127.0.0.1:49984->127.0.0.1:38663
TST=ESTABLISHED
TQR=0
TQS=0
f3
tIPv4
d17410
PTCP
n127.0.0.1:49984->127.0.0.1:38663
TST=ESTABLISHED
TQR=0
TQS=0
`;

/** `lsof -n -P -w -F pfn -a -p 7204,7213 -d cwd,txt` */
export const CAPTURED_LSOF_PATHS = `p7204
fcwd
n/tmp/cap
ftxt
n/usr/bin/node
p7213
fcwd
n/tmp
ftxt
n/tmp/cap/mailer (deleted)
`;

/** `ps -ww -o pid=,args= -p 7204,7213` */
export const CAPTURED_PS = ` 7204 node /tmp/cap/srv.cjs
 7213 /tmp/cap/mailer /tmp/cap/run.sh
`;

/** /proc/net/tcp header and the lines for the watched ports. */
export const CAPTURED_PROC_NET_TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   1: 0100007F:9707 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 16372 1 000000002a60cc22 100 0 0 10 0
   5: 0100007F:9707 0100007F:C340 01 00000000:00000000 00:00000000 00000000     0        0 17411 1 000000000eb8685d 20 0 0 10 -1
  13: 0100007F:C340 0100007F:9707 01 00000000:00000000 00:00000000 00000000 65534        0 17410 2 00000000b69271d2 20 0 0 10 -1
`;

/** /proc/net/tcp6 header and the lines for the watched ports. */
export const CAPTURED_PROC_NET_TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:AF69 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 16373 1 000000004857a411 100 0 0 10 0
   3: 00000000000000000000000001000000:CB3C 00000000000000000000000001000000:AF69 01 00000000:00000000 00:00000000 00000000     0        0 16374 1 0000000010f1006b 20 0 0 10 -1
   4: 00000000000000000000000001000000:AF69 00000000000000000000000001000000:CB3C 01 00000000:00000000 00:00000000 00000000     0        0 16375 1 00000000b3116299 20 0 0 10 -1
`;

/** What both sources must produce from the capture above. */
export const CAPTURED_RECORDS: SocketRecord[] = (() => {
  const node = {
    pid: 7204,
    ppid: 7202,
    uid: 0,
    user: "root",
    comm: "node",
    argv: ["node", "/tmp/cap/srv.cjs"],
    exe: "/usr/bin/node",
    exe_deleted: false,
    cwd: "/tmp/cap",
  };
  const mailer = {
    pid: 7213,
    ppid: 7195,
    uid: 65534,
    user: "nobody",
    comm: "mailer",
    argv: ["/tmp/cap/mailer", "/tmp/cap/run.sh"],
    exe: "/tmp/cap/mailer",
    exe_deleted: true,
    cwd: "/tmp",
  };
  return [
    { proto: "tcp", state: "LISTEN", direction: "listen", local_address: "127.0.0.1", local_port: 38663, remote_address: "0.0.0.0", remote_port: 0, inode: "16372", ...node },
    { proto: "tcp6", state: "LISTEN", direction: "listen", local_address: "::", local_port: 44905, remote_address: "::", remote_port: 0, inode: "16373", ...node },
    { proto: "tcp6", state: "ESTABLISHED", direction: "outbound", local_address: "::1", local_port: 52028, remote_address: "::1", remote_port: 44905, inode: "16374", ...node },
    { proto: "tcp6", state: "ESTABLISHED", direction: "inbound", local_address: "::1", local_port: 44905, remote_address: "::1", remote_port: 52028, inode: "16375", ...node },
    { proto: "tcp", state: "ESTABLISHED", direction: "outbound", local_address: "127.0.0.1", local_port: 49984, remote_address: "127.0.0.1", remote_port: 38663, inode: "17410", ...mailer },
    { proto: "tcp", state: "ESTABLISHED", direction: "inbound", local_address: "127.0.0.1", local_port: 38663, remote_address: "127.0.0.1", remote_port: 49984, inode: "17411", ...node },
  ];
})();

/** /etc/passwd lines for the users in the capture. */
export const CAPTURED_PASSWD = "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";

/** The two captured processes as a fake /proc tree, rebuilt from what lsof and ps showed (start times are made up). */
export const CAPTURED_PROCESSES: FakeProcess[] = [
  {
    pid: 7204,
    fds: { 0: "/dev/null", 1: "pipe:[16300]", 19: "socket:[16372]", 20: "socket:[16373]", 21: "socket:[16374]", 22: "socket:[16375]", 23: "socket:[17411]" },
    status: fakeStatus("node", 7202, 0),
    stat: fakeStat(7204, "node", 7202, 52100),
    comm: "node\n",
    cmdline: "node\0/tmp/cap/srv.cjs\0",
    exe: "/usr/bin/node",
    cwd: "/tmp/cap",
  },
  {
    pid: 7213,
    fds: { 0: "socket:[17410]", 1: "/dev/null", 3: "socket:[17410]" },
    status: fakeStatus("mailer", 7195, 65534),
    stat: fakeStat(7213, "mailer", 7195, 52140),
    comm: "mailer\n",
    cmdline: "/tmp/cap/mailer\0/tmp/cap/run.sh\0",
    exe: "/tmp/cap/mailer (deleted)",
    cwd: "/tmp",
  },
];
