import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { domainOf, lowerCase, normalizeIp, ownString, sharedString } from "./mail-text.js";

describe("lowerCase", () => {
  it("lowers ASCII and non-ASCII capitals like toLowerCase", () => {
    for (const s of ["Alice@Example.ORG", "ÉLODIE@exemple.fr", "straße@ÖBB.at", "İ", "x😀Y", ""]) expect(lowerCase(s)).toBe(s.toLowerCase());
  });

  it("returns the very same string when nothing changes", () => {
    const s = "alice@example.org".slice(0);
    expect(Object.is(lowerCase(s), s)).toBe(true);
  });
});

describe("domainOf / normalizeIp", () => {
  it("domain after the last @, lower-cased; none without @", () => {
    expect(domainOf("a@b@Example.ORG")).toBe("example.org");
    expect(domainOf("postmaster")).toBe("");
  });

  it("unwraps IPv4-mapped IPv6 and Exim's IPv6: prefix, leaves the rest", () => {
    expect(normalizeIp("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(normalizeIp("::FFFF:192.0.2.1")).toBe("192.0.2.1");
    expect(normalizeIp("IPv6:2001:DB8::1")).toBe("2001:db8::1");
    expect(normalizeIp("::1")).toBe("::1");
    expect(normalizeIp("192.0.2.1")).toBe("192.0.2.1");
    expect(normalizeIp("")).toBe("");
  });
});

describe("ownString", () => {
  // gc() from a fresh context once the flag is set (vitest runs without --expose-gc).
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;

  /** External memory (MiB) after keeping one 40-char slice of each of 40 chunks of 2 MiB decoded like parse-log's. */
  function externalMiBKeeping(keep: (slice: string) => string): number {
    gc();
    const before = process.memoryUsage().external;
    const kept: string[] = [];
    for (let k = 0; k < 40; k++) kept.push(keep(Buffer.alloc(2 << 20, 97 + (k % 26)).toString("latin1").slice(1000, 1040)));
    gc();
    gc();
    const mib = (process.memoryUsage().external - before) / (1 << 20);
    expect(kept.every((s) => s.length === 40)).toBe(true);
    return mib;
  }

  it("keeps no chunk alive, where a plain slice keeps all 80 MiB", () => {
    expect(externalMiBKeeping((s) => s)).toBeGreaterThan(60);
    expect(externalMiBKeeping(ownString)).toBeLessThan(8);
  });

  it("sharedString keeps no chunk alive either", () => {
    expect(externalMiBKeeping(sharedString)).toBeLessThan(8);
  });

  it("sharedString hands every holder of one value the same copy: 100,000 holders cost the array, not 100,000 copies", () => {
    const line = (i: number) => `${String(i).padStart(8, "0")} from=<newsletter-sender@shop.example.org>, size=${i}`;
    const heapMiBHolding = (keep: (s: string) => string): number => {
      gc();
      const before = process.memoryUsage().heapUsed;
      const kept: string[] = [];
      for (let i = 0; i < 100_000; i++) kept.push(keep(line(i).slice(15, 49)));
      gc();
      const mib = (process.memoryUsage().heapUsed - before) / (1 << 20);
      expect(new Set(kept)).toEqual(new Set(["newsletter-sender@shop.example.org"]));
      return mib;
    };
    expect(heapMiBHolding(ownString)).toBeGreaterThan(5);
    expect(heapMiBHolding(sharedString)).toBeLessThan(1.5);
  });

  it("sharedString starts its table over when full and still returns equal strings", () => {
    const value = "x".repeat(20) + "@example.org";
    expect(sharedString(value)).toBe(value);
    for (let i = 0; i < 10_000; i++) expect(sharedString(`other-${i}@example.org`)).toBe(`other-${i}@example.org`);
    expect(sharedString(value)).toBe(value);
  });

  it("returns an equal string", () => {
    const parent = `${"x".repeat(100)}someone@example.org`;
    expect(ownString(parent.slice(100))).toBe("someone@example.org");
    expect(ownString("short")).toBe("short");
  });
});
