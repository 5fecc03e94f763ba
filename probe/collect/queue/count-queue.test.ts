import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HostFiles } from "../mta/host-files.js";
import type { MtaDetection } from "../mta/mta-detection.js";
import { countQueue } from "./count-queue.js";

// The cheap count on spool trees laid out as the MTAs write them, under a
// folder standing for the host's "/".
let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "spamtrace-count-queue-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const files = (paths: string[]): void => {
  for (const p of paths) {
    mkdirSync(join(root, p, ".."), { recursive: true });
    writeFileSync(join(root, p), "");
  }
};
const detection = (kind: MtaDetection["kind"], queuePath: string): MtaDetection => ({ kind, version: "", binaryPaths: [], logPaths: [], queuePath, evidence: [] });

describe("countQueue", () => {
  it("Postfix: queue files of maildrop, incoming, active, deferred (hashed) and hold; nothing else", async () => {
    files([
      "var/spool/postfix/maildrop/A1B2C3",
      "var/spool/postfix/incoming/4/4D5E6F",
      "var/spool/postfix/active/7/7A8B9C",
      "var/spool/postfix/deferred/1/1ABCDE",
      "var/spool/postfix/deferred/F/FABCDE",
      "var/spool/postfix/hold/2ABCDE",
      "var/spool/postfix/defer/1/1ABCDE", // delivery logs, not messages
      "var/spool/postfix/pid/master.pid",
    ]);
    expect(await countQueue(detection("postfix", "/var/spool/postfix"), new HostFiles(root))).toBe(6);
  });
  it("Exim: one -H file per message, split spool directories included", async () => {
    files(["var/spool/exim4/input/1abcDE-000001-AB-H", "var/spool/exim4/input/1abcDE-000001-AB-D", "var/spool/exim4/input/x/1xyzDE-000002-CD-H", "var/spool/exim4/msglog/1abcDE-000001-AB"]);
    expect(await countQueue(detection("exim", "/var/spool/exim4"), new HostFiles(root))).toBe(2);
  });
  it("no count for an MTA without one, or without a queue path", async () => {
    expect(await countQueue(detection("sendmail", "/var/spool/mqueue"), new HostFiles(root))).toBeNull();
    expect(await countQueue(detection("postfix", ""), new HostFiles(root))).toBeNull();
  });
  it("rejects when the spool cannot be read (the sampler then lists on its interval only)", async () => {
    await expect(countQueue(detection("exim", "/var/spool/exim4"), new HostFiles(root))).rejects.toThrow(/ENOENT/);
  });
});
