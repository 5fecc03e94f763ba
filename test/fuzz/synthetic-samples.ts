/*
 * Small hand-written samples in the layouts of /proc/net/tcp, lsof -F, ps and
 * the MTA logs, to seed the fuzzer where neither the corpus nor the fixtures
 * have the shape (BSD-style lsof, escaped names, IPv4-mapped tcp6 rows,
 * every syslog timestamp style). The captured samples beside the socket
 * parsers are added to these by load-seeds.ts.
 */

/** /proc/net/tcp documents (little-endian host). */
export const PROC_NET_TCP_SAMPLES = [
  [
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 0302010A:C822 057100CB:0019 01 00000000:00000000 00:00000000 00000000    33        0 884211 1 0000000000000000 20 4 30 10 -1",
    "   1: 00000000:0019 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 22317 1 0000000000000000 100 0 0 10 0",
    "   2: 0302010A:0019 0A0B0C0D:D431 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000",
    "   3: 0302010A:024B 0A0B0C0D:D432 08 00000001:00000000 00:00000000 00000000   112        0 99123 1 0000000000000000 20 4 0 10 -1",
  ].join("\n"),
];

/** /proc/net/tcp6 documents, including IPv4-mapped rows. */
export const PROC_NET_TCP6_SAMPLES = [
  [
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 0000000000000000FFFF00000302010A:0019 0000000000000000FFFF00000D0C0B0A:D431 01 00000000:00000000 00:00000000 00000000     0        0 55001 1 0000000000000000 20 4 30 10 -1",
    "   1: B80D0120000000000000000025000000:024B 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 55002 1 0000000000000000 100 0 0 10 0",
  ].join("\n"),
];

/** `lsof -F pcRuLftdinTP` and `lsof -F pfn` documents. */
export const LSOF_FIELD_SAMPLES = [
  ["p1469", "R1", "cmaster", "u0", "Lroot", "f13", "tIPv4", "d22317", "PTCP", "n127.0.0.1:25", "TST=LISTEN", "TQR=0", "TQS=0",
    "p1200", "R1469", "csmtpd", "u89", "f6", "tIPv4", "d22317", "PTCP", "n127.0.0.1:25", "TST=LISTEN",
    "f7", "tIPv6", "d22400", "PTCP", "n[2001:db8::25]:25->[2001:db8::99]:40000", "TST=SYN_RCVD",
    "f8", "tIPv4", "d22401", "PTCP", "n10.1.2.3:40000->203.0.113.5:443", "TST=ESTABLISHED", ""].join("\n"),
  ["p77", "cperl\\x20-e", "u1001", "L1001", "f5", "tIPv4", "d0xfffff80012345678", "PTCP", "n192.0.2.7:50000->198.51.100.1:587", "TST=SYN_SENT", ""].join("\n"),
  ["p2", "fcwd", "n/proc/2/cwd (readlink: Permission denied)", "ftxt", "n/proc/2/exe (readlink: Permission denied)",
    "p9", "fcwd", "n/var/www/a b\\\\c\\n\\xe2\\x9c\\x89", "ftxt", "n/tmp/.x/mailer (deleted)", ""].join("\n"),
];

/** `ps -ww -o pid=,args=` documents. */
export const PS_SAMPLES = [
  "  812 /usr/sbin/exim4 -bd -q30m\n 9001 nginx: worker process   \n    2 [kthreadd]\n   77\n 4242 /usr/bin/php /var/www/html/wp-content/mailer.php --to=a@b\n",
];

/** lsof socket names (`n` of a TCP socket with -n -P), plain-output suffixes included. */
export const LSOF_NAME_SAMPLES = [
  "127.0.0.1:25", "*:25", "*:*", "[::1]:587", "[::]:465", "10.0.0.1:40000->192.0.2.7:25", "[2001:db8::1]:25->[2001:db8::2]:1234",
  "[::ffff:192.0.2.1]:25", "[fe80::1%eth0]:25", "127.0.0.1:25 (LISTEN)", "10.0.0.1:40000->192.0.2.7:25 (ESTABLISHED)",
];

/** MTA log lines in the timestamp styles the prefix parser accepts, for when the corpus is absent. */
export const MTA_LINE_SAMPLES = [
  "Nov 29 07:04:10 mail postfix/submission/smtpd[1200]: DD68719044E: client=unknown[127.0.0.16], sasl_method=LOGIN, sasl_username=petra@example.org",
  "Nov  9 07:04:10.123456 mail postfix/qmgr[900]: DD68719044E: from=<ceo@bank.example>, size=1234, nrcpt=3 (queue active)",
  "2026-11-29T07:04:10.123456+01:00 mail postfix/smtp[1300]: DD68719044E: to=<a@b.example>, relay=mx.b.example[192.0.2.5]:25, delay=1, delays=0/0/0/1, dsn=4.4.1, status=deferred (connect to mx.b.example[192.0.2.5]:25: Connection refused)",
  "2026-11-29 07:04:10 1xXaqX-0004QJ-38 <= alice@example.org H=(helo) [192.0.2.9]:5000 I=[10.0.0.1]:587 P=esmtpsa A=login:alice S=1234 id=abc@example.org for x@y.example",
  "2026-11-29 07:04:10.123 +0100 [1234] 1xXaqX-00000004QJ-0038 ** x@y.example R=dnslookup T=remote_smtp H=mx.y.example [192.0.2.7]: SMTP error from remote mail server after RCPT TO:<x@y.example>: 550 5.1.1 User unknown",
  "Nov 29 07:04:10 mail sm-mta[777]: 4ATJ4AIl000777: from=<www-data@mail.example.org>, size=500, class=0, nrcpts=1, msgid=<a@b>, proto=ESMTP, daemon=MTA-v4, relay=localhost [127.0.0.1]",
  "@400000006564f0a21c1d3e4c info msg 53: bytes 246 from <me@domain> qp 20345 uid 666",
  "Nov 29 07:04:10 mail dovecot: imap-login: Aborted login (auth failed, 3 attempts in 12 secs): user=<bob>, method=PLAIN, rip=198.51.100.4, lip=10.0.0.1",
  "Nov 29 07:04:10 mail smtpd[5]: 0123456789abcdef smtp failed-command command=\"RCPT TO:<x@y.example>\" result=\"550 Invalid recipient\"",
  "<22>Nov 29 07:04:10 mail [ID 197553 mail.info] sendmail[9]: 4ATJ4AIl000777: to=<a@b>, delay=00:00:01, mailer=esmtp, stat=Sent",
];
