import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readSocketTableSync, readTcp6TableSync, sockstatCount } from "./read-socket-table.js";

describe("readSocketTableSync", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "spamtrace-table-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it.each([
    ["empty", 0],
    ["shorter than a page", 1_000],
    ["one page exactly", 4096],
    ["larger than the read buffer", 200_000],
  ])("returns the whole text of a file %s", async (_, length) => {
    const text = "0123456789abcdef\n".repeat(Math.ceil(length / 17)).slice(0, length);
    await writeFile(join(dir, "tcp"), text);
    expect(readSocketTableSync(join(dir, "tcp"))).toBe(text);
  });

  it("reads the live /proc/net/tcp whole: its header, then lines of the kernel's fixed width", () => {
    const lines = readSocketTableSync("/proc/net/tcp").split("\n").filter(Boolean);
    expect(lines[0]).toMatch(/^\s+sl\s+local_address rem_address/);
    for (const line of lines.slice(1)) expect(line).toMatch(/^\s*\d+: [0-9A-F]{8}:[0-9A-F]{4} [0-9A-F]{8}:[0-9A-F]{4} [0-9A-F]{2} /);
  });

  it("throws ENOENT for a missing table", () => {
    expect(() => readSocketTableSync(join(dir, "missing"))).toThrow(/ENOENT/);
  });
});

describe("sockstatCount", () => {
  const sockstat = "sockets: used 4063\nTCP: inuse 3741 orphan 0 tw 887 alloc 3741 mem 0\nUDP: inuse 0 mem 0\n";
  it("reads a counter of a protocol's line", () => {
    expect(sockstatCount(sockstat, "TCP", "inuse")).toBe(3741);
    expect(sockstatCount(sockstat, "TCP", "tw")).toBe(887);
    expect(sockstatCount("TCP6: inuse 0\nUDP6: inuse 2\n", "TCP6", "inuse")).toBe(0);
  });
  it("returns null for a missing protocol or counter", () => {
    expect(sockstatCount(sockstat, "TCP6", "inuse")).toBeNull();
    expect(sockstatCount(sockstat, "TCP", "nope")).toBeNull();
  });
});

describe("readTcp6TableSync", () => {
  let root: string;
  const table = "  sl  local_address remote_address\n   0: 00000000000000000000000000000000:0019 00000000000000000000000000000000:0000 0A\n";
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "spamtrace-proc-"));
    await mkdir(join(root, "net"));
    await writeFile(join(root, "net", "tcp6"), table);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it("skips the table's walk when sockstat6 says no IPv6 TCP socket is in use", async () => {
    await writeFile(join(root, "net", "sockstat6"), "TCP6: inuse 0\nUDP6: inuse 1\n");
    expect(readTcp6TableSync(root)).toBe("");
  });
  it("reads the table when IPv6 TCP sockets are in use, or sockstat6 is missing", async () => {
    expect(readTcp6TableSync(root)).toBe(table);
    await writeFile(join(root, "net", "sockstat6"), "TCP6: inuse 2\n");
    expect(readTcp6TableSync(root)).toBe(table);
  });
  it("returns nothing when IPv6 is disabled (no tcp6 table)", async () => {
    await rm(join(root, "net", "tcp6"));
    expect(readTcp6TableSync(root)).toBe("");
  });
});
