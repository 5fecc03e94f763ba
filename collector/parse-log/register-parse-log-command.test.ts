import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { registerParseLogCommand } from "./register-parse-log-command.js";

const FIXTURE = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../test/fixtures/mta-logs/exim-mainlog-lab.log");

function program(out: string[]): Command {
  const p = new Command("spamtrace").exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerParseLogCommand(p, (t) => out.push(t));
  return p;
}

describe("registerParseLogCommand", () => {
  it("adds `parse-log [--mta M] FILE...` printing the JSON report", async () => {
    const out: string[] = [];
    await program(out).parseAsync(["node", "spamtrace", "parse-log", "--mta", "exim", FIXTURE]);
    const report = JSON.parse(out.join(""));
    expect([report.mta, report.lines, report.recognised, report.identities.length]).toEqual(["exim", 12, 12, 11]);
  });

  it("defaults --mta to auto", async () => {
    const out: string[] = [];
    await program(out).parseAsync(["node", "spamtrace", "parse-log", FIXTURE]);
    expect(JSON.parse(out.join("")).mta).toBe("exim");
  });

  it("refuses an unknown --mta value", async () => {
    await expect(program([]).parseAsync(["node", "spamtrace", "parse-log", "--mta", "exchange", FIXTURE])).rejects.toThrow("Allowed choices are auto, postfix, exim, sendmail, qmail");
  });

  it("fails naming a missing file", async () => {
    await expect(program([]).parseAsync(["node", "spamtrace", "parse-log", "/nonexistent/mail.log"])).rejects.toThrow("cannot read log file /nonexistent/mail.log: no such file");
  });
});
