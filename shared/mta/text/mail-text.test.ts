import { describe, expect, it } from "vitest";
import { domainOf, lowerCase, normalizeIp } from "./mail-text.js";

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
