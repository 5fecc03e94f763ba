import { create } from "@bufbuild/protobuf";
import {
  KeyCountSchema,
  LogReadStatsSchema,
  QueueSnapshotSchema,
  ScriptSubmissionSchema,
  SubmittingProcessSchema,
  type LogReadStats,
  type QueueSnapshot as QueueSnapshotMessage,
  type ScriptSubmission as ScriptSubmissionMessage,
} from "../../shared/gen/spamtrace/v1/ingest_pb.js";
import type { LogFileStats } from "../collect/mail-log/mail-log-collector.js";
import type { ScriptSubmission } from "../collect/scripts/script-submission.js";
import type { QueueSnapshot } from "../collect/queue/queue-snapshot.js";

// The window messages are built in shared/ (the collector's fleet simulator writes them too).
export { toAuthWindow, toMailWindow } from "../../shared/mta/aggregate/window-messages.js";
// The queue snapshot's message too (the scan converts `spamtrace-probe inspect --json` with it).
export { toQueueSnapshot } from "../../shared/types/mta-message.js";

/** Log counters as a LogReadStats message. */
export function toLogReadStats(s: LogFileStats): LogReadStats {
  return create(LogReadStatsSchema, {
    path: s.path,
    lines: BigInt(s.lines),
    recognised: BigInt(s.recognised),
    unrecognised: BigInt(s.unrecognised),
    rotations: s.rotations,
  });
}

/** A script submission as a ScriptSubmission message (null fields become "" / 0 / absent). */
export function toScriptSubmission(s: ScriptSubmission): ScriptSubmissionMessage {
  return create(ScriptSubmissionSchema, {
    observedAtUnixMs: BigInt(s.tsUnixMs),
    source: s.source,
    ...(s.uid === null ? {} : { uid: s.uid }),
    script: s.script ?? "",
    line: s.line ?? 0,
    sender: s.sender ?? "",
    recipients: s.recipients,
    messageId: s.messageId ?? "",
    ancestry: s.chain.map((p) => create(SubmittingProcessSchema, { pid: p.pid, comm: p.comm, argv: p.argv, cwd: p.cwd ?? "", exe: p.exe ?? "" })),
    raw: s.raw,
  });
}
