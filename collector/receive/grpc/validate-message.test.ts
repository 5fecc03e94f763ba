import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  BatchSchema,
  HelloSchema,
  MailWindowSchema,
  RelayConfigFindingSchema,
  RelayPolicySchema,
  MtaInfoSchema,
  ProcessInfoSchema,
  SocketSchema,
  SocketSnapshotSchema,
  type Batch,
  type Hello,
} from "../../../shared/gen/spamtrace/v1/ingest_pb.js";
import { IngestError, type IngestErrorCode } from "./ingest-error.js";
import { DEFAULT_INGEST_LIMITS, validateBatch, validateHello, type IngestLimits } from "./validate-message.js";

const NOW = 1_700_000_000_000;
const DAY = 24 * 3600 * 1000;
const LIMITS: IngestLimits = { ...DEFAULT_INGEST_LIMITS, maxSocketsPerBatch: 3, maxStringChars: 64 };
const HOST_ID_RULE = "^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$";

function hello(init: MessageInitShape<typeof HelloSchema> = {}): Hello {
  return create(HelloSchema, {
    hostId: "web1.example.com",
    hostname: "web1",
    ipAddresses: ["192.0.2.10", "2001:db8::10"],
    os: "Debian GNU/Linux 12",
    kernel: "6.1.0-18-amd64",
    probeVersion: "0.1.0",
    mta: create(MtaInfoSchema, { kind: "postfix", version: "3.7.10", binaryPaths: ["/usr/sbin/postfix"], logPaths: ["/var/log/mail.log"], queuePath: "/var/spool/postfix" }),
    bootTimeUnixMs: BigInt(NOW - DAY),
    streamEpoch: 1_699_000_000_000n,
    ...init,
  });
}

function socket(init: MessageInitShape<typeof SocketSchema> = {}): MessageInitShape<typeof SocketSchema> {
  return {
    proto: "tcp",
    state: "ESTABLISHED",
    localAddress: "192.0.2.10",
    localPort: 41234,
    remoteAddress: "198.51.100.7",
    remotePort: 25,
    inode: 123456n,
    firstSeenUnixMs: BigInt(NOW - 5000),
    lastSeenUnixMs: BigInt(NOW - 2000),
    process: create(ProcessInfoSchema, { pid: 4242, ppid: 1, uid: 1001, user: "site1", comm: "php", argv: ["php", "mailer.php"], exe: "/usr/bin/php8.2", cwd: "/home/site1" }),
    ...init,
  };
}

function batch(init: MessageInitShape<typeof BatchSchema> = {}, sockets: Array<MessageInitShape<typeof SocketSchema>> = [socket()]): Batch {
  return create(BatchSchema, {
    hostId: "web1.example.com",
    streamEpoch: 1_699_000_000_000n,
    seq: 1n,
    createdAtUnixMs: BigInt(NOW),
    socketSnapshots: [create(SocketSnapshotSchema, { observedAtUnixMs: BigInt(NOW - 1000), startedAtUnixMs: BigInt(NOW - 11_000), samples: 20, sockets: sockets.map((s) => create(SocketSchema, s)) })],
    ...init,
  });
}

function thrown(fn: () => void): { code: IngestErrorCode; message: string } | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(IngestError);
    return { code: (error as IngestError).code, message: (error as IngestError).message };
  }
  return undefined;
}

describe("validateHello", () => {
  it.each<{ name: string; input: Hello; error?: { code: IngestErrorCode; message: string } }>([
    { name: "a complete hello", input: hello() },
    { name: "without MTA info", input: hello({ mta: undefined }) },
    { name: "host id of one character", input: hello({ hostId: "a" }) },
    { name: "host id of 253 characters", input: hello({ hostId: "a".repeat(253) }) },
    { name: "strings exactly at the limit", input: hello({ kernel: "k".repeat(64) }) },
    {
      name: "empty host id",
      input: hello({ hostId: "" }),
      error: { code: "invalid_argument", message: `hello.host_id "" must match ${HOST_ID_RULE}` },
    },
    {
      name: "host id with a slash",
      input: hello({ hostId: "../etc/passwd" }),
      error: { code: "invalid_argument", message: `hello.host_id "../etc/passwd" must match ${HOST_ID_RULE}` },
    },
    {
      name: "host id with a newline",
      input: hello({ hostId: "web1\nweb2" }),
      error: { code: "invalid_argument", message: `hello.host_id "web1\\nweb2" must match ${HOST_ID_RULE}` },
    },
    {
      name: "host id of 254 characters, shown cut to 80",
      input: hello({ hostId: "a".repeat(254) }),
      error: { code: "invalid_argument", message: `hello.host_id "${"a".repeat(80)}" must match ${HOST_ID_RULE}` },
    },
    {
      name: "epoch 0",
      input: hello({ streamEpoch: 0n }),
      error: { code: "invalid_argument", message: "hello.stream_epoch must be > 0" },
    },
    {
      name: "string too long",
      input: hello({ kernel: "k".repeat(65) }),
      error: { code: "invalid_argument", message: "hello has a string of 65 chars, limit 64" },
    },
    {
      name: "IP address too long",
      input: hello({ ipAddresses: ["192.0.2.1", "x".repeat(100)] }),
      error: { code: "invalid_argument", message: "hello has a string of 100 chars, limit 64" },
    },
    {
      name: "MTA log path too long",
      input: hello({ mta: create(MtaInfoSchema, { kind: "exim", logPaths: ["/var/log/" + "x".repeat(100)] }) }),
      error: { code: "invalid_argument", message: "hello.mta has a string of 109 chars, limit 64" },
    },
  ])("$name", ({ input, error }) => {
    expect(thrown(() => validateHello(input, LIMITS))).toEqual(error);
  });
});

describe("validateBatch", () => {
  const skew = LIMITS.maxClockSkewMs;
  const maxAge = 400 * DAY;
  const window = `(now ${NOW}, skew ${skew} ms)`;

  it.each<{ name: string; input: Batch; error?: { code: IngestErrorCode; message: string } }>([
    { name: "a good batch", input: batch() },
    { name: "no snapshots", input: batch({ socketSnapshots: [] }) },
    { name: "socket without process", input: batch({}, [socket({ process: undefined })]) },
    { name: "sockets exactly at the limit", input: batch({}, [socket(), socket(), socket()]) },
    { name: "ports at the maximum", input: batch({}, [socket({ localPort: 65535, remotePort: 65535 })]) },
    { name: "created at the edge of the skew", input: batch({ createdAtUnixMs: BigInt(NOW + skew) }) },
    { name: "created at the edge of the age limit", input: batch({ createdAtUnixMs: BigInt(NOW - maxAge) }) },
    {
      name: "another host's batch",
      input: batch({ hostId: "web2.example.com" }),
      error: { code: "permission_denied", message: "batch.host_id \"web2.example.com\" differs from the stream's host web1.example.com" },
    },
    {
      name: "epoch mismatch",
      input: batch({ streamEpoch: 5n }),
      error: { code: "invalid_argument", message: "batch.stream_epoch 5 differs from hello.stream_epoch 1699000000000" },
    },
    {
      name: "seq 0",
      input: batch({ seq: 0n }),
      error: { code: "invalid_argument", message: "batch.seq must be >= 1" },
    },
    {
      name: "created too far in the future",
      input: batch({ createdAtUnixMs: BigInt(NOW + skew + 1) }),
      error: { code: "invalid_argument", message: `batch.created_at_unix_ms ${NOW + skew + 1} is outside the accepted window ${window}` },
    },
    {
      name: "created too long ago",
      input: batch({ createdAtUnixMs: BigInt(NOW - maxAge - 1) }),
      error: { code: "invalid_argument", message: `batch.created_at_unix_ms ${NOW - maxAge - 1} is outside the accepted window ${window}` },
    },
    {
      name: "created at 0 (unset)",
      input: batch({ createdAtUnixMs: 0n }),
      error: { code: "invalid_argument", message: `batch.created_at_unix_ms 0 is outside the accepted window ${window}` },
    },
    {
      name: "snapshot observed in the future",
      input: batch({ socketSnapshots: [create(SocketSnapshotSchema, { observedAtUnixMs: BigInt(NOW + DAY) })] }),
      error: { code: "invalid_argument", message: `socket_snapshot.observed_at_unix_ms ${NOW + DAY} is outside the accepted window ${window}` },
    },
    {
      name: "too many sockets",
      input: batch({}, [socket(), socket(), socket(), socket()]),
      error: { code: "invalid_argument", message: "batch has more than 3 sockets" },
    },
    {
      name: "socket first seen at 0 (unset)",
      input: batch({}, [socket({ firstSeenUnixMs: 0n })]),
      error: { code: "invalid_argument", message: `socket.first_seen_unix_ms 0 is outside the accepted window (now ${NOW}, skew 600000 ms)` },
    },
    {
      name: "too many sockets over several snapshots",
      input: batch({
        socketSnapshots: [2, 2].map((n) =>
          create(SocketSnapshotSchema, { observedAtUnixMs: BigInt(NOW), startedAtUnixMs: BigInt(NOW - 1000), sockets: Array.from({ length: n }, () => create(SocketSchema, socket())) }),
        ),
      }),
      error: { code: "invalid_argument", message: "batch has more than 3 sockets" },
    },
    {
      name: "local port above 65535",
      input: batch({}, [socket({ localPort: 65536 })]),
      error: { code: "invalid_argument", message: "socket port 65536 must be <= 65535" },
    },
    {
      name: "remote port far above 65535",
      input: batch({}, [socket({ remotePort: 4_294_967_295 })]),
      error: { code: "invalid_argument", message: "socket port 4294967295 must be <= 65535" },
    },
    {
      name: "socket string too long",
      input: batch({}, [socket({ remoteAddress: "x".repeat(65) })]),
      error: { code: "invalid_argument", message: "socket has a string of 65 chars, limit 64" },
    },
    {
      name: "mail window whose failed-only addresses equal its failed logins",
      input: batch({ mailWindows: [create(MailWindowSchema, { windowStartUnixMs: BigInt(NOW - 60_000), identityKind: "sasl_user", identity: "victim", authFailures: 3, distinctFailedClientIps: 3 })] }),
    },
    {
      name: "mail window with more failed-only addresses than failed logins",
      input: batch({ mailWindows: [create(MailWindowSchema, { windowStartUnixMs: BigInt(NOW - 60_000), identityKind: "sasl_user", identity: "victim", authFailures: 2, distinctFailedClientIps: 3 })] }),
      error: { code: "invalid_argument", message: "mail_window.distinct_failed_client_ips 3 exceeds auth_failures 2" },
    },
    {
      name: "client window relaying two messages to three recipients",
      input: batch({ mailWindows: [create(MailWindowSchema, { windowStartUnixMs: BigInt(NOW - 60_000), identityKind: "client_ip", identity: "203.0.113.9", received: 2, deferred: 3, relayed: 2, relayedRecipients: 3 })] }),
    },
    {
      name: "mail window with more relayed messages than its counts allow",
      input: batch({ mailWindows: [create(MailWindowSchema, { windowStartUnixMs: BigInt(NOW - 60_000), identityKind: "client_ip", identity: "203.0.113.9", deferred: 1, relayed: 2, relayedRecipients: 2 })] }),
      error: { code: "invalid_argument", message: "mail_window.relayed 2 / relayed_recipients 2 inconsistent with the window's counts" },
    },
    {
      name: "full relay policy",
      input: batch({ relayPolicy: create(RelayPolicySchema, { hash: "ab12", full: true, mta: "postfix", servedDomains: ["example.org"], permittedNetworks: ["127.0.0.0/8"], findings: [create(RelayConfigFindingSchema, { setting: "mynetworks", file: "/etc/postfix/main.cf", value: "0.0.0.0/0", reason: "r" })] }) }),
    },
    {
      name: "relay policy whose hash is not hex",
      input: batch({ relayPolicy: create(RelayPolicySchema, { hash: "not-a-hash", mta: "postfix" }) }),
      error: { code: "invalid_argument", message: 'relay_policy.hash "not-a-hash" must be 1-64 hex digits' },
    },
    {
      name: "process argument too long",
      input: batch({}, [socket({ process: create(ProcessInfoSchema, { pid: 1, argv: ["php", "A".repeat(5000)] }) })]),
      error: { code: "invalid_argument", message: "socket.process has a string of 5000 chars, limit 64" },
    },
  ])("$name", ({ input, error }) => {
    expect(thrown(() => validateBatch(input, hello(), LIMITS, NOW))).toEqual(error);
  });
});
