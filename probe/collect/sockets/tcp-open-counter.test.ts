import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseTcpCounters, TcpOpenWatch } from "./tcp-open-counter.js";

function snmp(activeOpens: number, passiveOpens: number, currEstab = 1152): string {
  return [
    "Ip: Forwarding DefaultTTL InReceives",
    "Ip: 1 64 148858",
    "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs",
    `Tcp: 1 200 120000 -1 ${activeOpens} ${passiveOpens} 148 211 ${currEstab} 148858`,
    "Udp: InDatagrams NoPorts",
    "Udp: 10 0",
    "",
  ].join("\n");
}

describe("parseTcpCounters: ActiveOpens", () => {
  it("reads ActiveOpens from the Tcp lines, by column name", () => {
    expect(parseTcpCounters(snmp(2848, 2547))?.activeOpens).toBe(2848);
    expect(parseTcpCounters("Tcp: ActiveOpens X\nTcp: 7 1\n")?.activeOpens).toBe(7);
  });
  it.each([
    ["no Tcp lines", "Ip: a\nIp: 1\n"],
    ["no ActiveOpens column", "Tcp: RtoAlgorithm\nTcp: 1\n"],
    ["a value that is not a count", "Tcp: ActiveOpens\nTcp: -\n"],
  ])("returns null for %s", (_, text) => {
    expect(parseTcpCounters(text)).toBeNull();
  });
});

describe("parseTcpCounters", () => {
  it("reads ActiveOpens, PassiveOpens and CurrEstab by column name; the last two may be missing", () => {
    expect(parseTcpCounters(snmp(2848, 2547, 17))).toEqual({ activeOpens: 2848, passiveOpens: 2547, currEstab: 17 });
    expect(parseTcpCounters("Tcp: ActiveOpens X\nTcp: 7 1\n")).toEqual({ activeOpens: 7, passiveOpens: null, currEstab: null });
    expect(parseTcpCounters("Tcp: PassiveOpens\nTcp: 7\n")).toBeNull();
  });
});

describe("TcpOpenWatch", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "spamtrace-snmp-"));
    await mkdir(join(root, "net"));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it("says yes first, then only when a connection was opened (accepted ones do not count)", async () => {
    await writeFile(join(root, "net", "snmp"), snmp(10, 5));
    const watch = new TcpOpenWatch(root);
    expect(watch.check()).toBe("opened");
    expect(watch.check()).not.toBe("opened");
    await writeFile(join(root, "net", "snmp"), snmp(10, 9));
    expect(watch.check()).not.toBe("opened");
    await writeFile(join(root, "net", "snmp"), snmp(11, 9));
    expect(watch.check()).toBe("opened");
    expect(watch.check()).not.toBe("opened");
    watch.close();
  });


  it("tells an accepted or closed connection (moved) from nothing (still) and from an opened one", async () => {
    const write = (active: number, passive: number, estab: number) => writeFile(join(root, "net", "snmp"), snmp(active, passive, estab));
    await write(10, 5, 3);
    const watch = new TcpOpenWatch(root);
    expect(watch.check()).toBe("opened");
    expect(watch.check()).toBe("still");
    await write(10, 6, 4);
    expect(watch.check()).toBe("moved");
    expect(watch.check()).toBe("still");
    await write(10, 6, 3);
    expect(watch.check()).toBe("moved");
    await write(11, 7, 2);
    expect(watch.check()).toBe("opened");
    expect(watch.check()).toBe("still");
    watch.close();
  });

  it("says yes on every call when the counters cannot be read (the table is then read every tick)", async () => {
    const watch = new TcpOpenWatch(root);
    expect(watch.check()).toBe("opened");
    expect(watch.check()).toBe("opened");
    await writeFile(join(root, "net", "snmp"), "garbled\n");
    expect(watch.check()).toBe("opened");
  });
});
