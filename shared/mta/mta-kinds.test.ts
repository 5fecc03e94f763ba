import { describe, expect, it } from "vitest";
import { isMtaFamily, KNOWN_MTA_KINDS, MAIL_LOG_SOURCES, MTA_FAMILIES, MTA_KINDS, MTA_SELECTIONS, PROBE_MTA_KIND_SETTINGS } from "./mta-kinds.js";
import { sourceOfProgram } from "./parse/mail-log-parser.js";

describe("MTA kinds", () => {
  it("derives every set from the families: each MTA the probe detects has a log parser", () => {
    for (const kind of KNOWN_MTA_KINDS) expect(MAIL_LOG_SOURCES).toContain(kind);
    expect(MTA_KINDS.filter((k) => !(KNOWN_MTA_KINDS as readonly string[]).includes(k))).toEqual(["unknown", "none"]);
    expect(MTA_SELECTIONS).toEqual(["auto", ...MTA_FAMILIES]);
    expect(PROBE_MTA_KIND_SETTINGS).toEqual(["auto", "postfix", "exim", "sendmail", "qmail", "opensmtpd", "none"]);
  });

  it("routes each source's own program tag to it", () => {
    const tags: Record<(typeof MAIL_LOG_SOURCES)[number], string> = { postfix: "postfix/smtpd", exim: "exim4", sendmail: "sm-mta", qmail: "qmail-smtpd", dovecot: "dovecot", opensmtpd: "smtpd", courier: "courieresmtpd" };
    for (const source of MAIL_LOG_SOURCES) expect(sourceOfProgram(tags[source])).toBe(source);
  });

  it("narrows a detected kind to a parser family", () => {
    expect(MTA_KINDS.filter(isMtaFamily)).toEqual([...MTA_FAMILIES]);
  });
});
