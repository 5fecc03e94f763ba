import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { BatchSchema, ProcessInfoSchema, ScriptSubmissionSchema, SocketSchema, SocketSnapshotSchema, SubmittingProcessSchema } from "../gen/spamtrace/v1/ingest_pb.js";
import { clipMessageStrings, clipWireString, WIRE_STRING_CHARS } from "./wire-strings.js";

describe("clipWireString", () => {
  it("leaves a string at the limit alone and cuts a longer one to the limit, saying how much went", () => {
    expect(clipWireString("a".repeat(WIRE_STRING_CHARS))).toHaveLength(WIRE_STRING_CHARS);
    const clipped = clipWireString(`${"b".repeat(5000)}${"c".repeat(1158)}`);
    expect(clipped).toHaveLength(WIRE_STRING_CHARS);
    expect(clipped).toMatch(/^b+\.\.\.\[\d+ chars cut\]$/);
    const cut = Number(/\[(\d+) chars cut\]/.exec(clipped)![1]);
    expect(clipped.indexOf("...") + cut).toBe(6158);
    // At most the limit: the marker is sized for the whole length, the count it prints may be a digit shorter.
    expect(clipWireString("x".repeat(100), 64).length).toBeLessThanOrEqual(64);
  });
});

describe("clipMessageStrings", () => {
  it("clips every long string of a batch, in nested messages and lists, and counts them", () => {
    const long = "j".repeat(6000);
    const batch = create(BatchSchema, {
      hostId: "web1",
      socketSnapshots: [
        create(SocketSnapshotSchema, {
          sockets: [create(SocketSchema, { remoteAddress: "192.0.2.1", process: create(ProcessInfoSchema, { comm: "java", argv: ["java", "-cp", long], cwd: long }) })],
        }),
      ],
      scriptSubmissions: [create(ScriptSubmissionSchema, { raw: long, ancestry: [create(SubmittingProcessSchema, { argv: ["sh", long] })] })],
    });
    expect(clipMessageStrings(batch)).toBe(4);
    const p = batch.socketSnapshots[0]!.sockets[0]!.process!;
    expect(p.argv.map((a) => a.length)).toEqual([4, 3, WIRE_STRING_CHARS]);
    expect(p.cwd).toHaveLength(WIRE_STRING_CHARS);
    expect(batch.scriptSubmissions[0]!.raw).toHaveLength(WIRE_STRING_CHARS);
    expect(batch.scriptSubmissions[0]!.ancestry[0]!.argv[1]).toHaveLength(WIRE_STRING_CHARS);
    expect(batch.hostId).toBe("web1");
    expect(clipMessageStrings(batch)).toBe(0);
  });
});
