// Scripts on Postfix named by path (issue 12 item 6), end to end on real
// parts: a real Postfix lab, real probes tailing its log (one with the script
// evidence on: maildrop watch + PHP mail.log; one with it off, standing for
// the code before), the collector with its default web-script settings, and
// real programs submitting through Postfix's sendmail as the web user:
//  - a shell script piping 45 messages into sendmail, started by a launcher
//    whose command line holds a 6,000-character argument
//  - a PHP script calling mail() 45 times without mail.log (named by the
//    maildrop writer's ancestry: php <script>)
//  - PHP code calling mail() 35 times with no file on php's command line (as
//    php-fpm runs it) and mail.log set: only PHP's log names the file
//  - the same PHP mailer with mail.log, run as php <script>
//  - a contact form sending 3 messages: named in the windows, no incident
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostfixLab, type PostfixLab } from "./setup/mta/postfix-lab.js";
import { phpMailer, shellScriptBlast, type ScriptRun } from "./setup/scenarios/postfix-scripts.js";
import { freePort } from "./setup/free-port.js";
import { makeLab, type Lab } from "./setup/spamtrace-lab.js";
import { waitFor } from "./setup/wait-for.js";
import { WIRE_STRING_CHARS } from "../shared/types/wire-strings.js";

interface Incident {
  rule: string;
  subject: string;
  hosts: string[];
  summary: string;
}

/** Least share of a maildrop-only script's messages named (measured 29-35 of 35: docs/facts.md). */
const MAILDROP_NAMED_SHARE = 0.75;

describe("scripts submitting through Postfix are named by path", () => {
  let postfix: PostfixLab;
  let lab: Lab;
  const runs: Record<string, ScriptRun> = {};

  beforeAll(async () => {
    postfix = await startPostfixLab({ labDir: "/var/lib/spamtrace-test/postfix-lab-scripts", smtpHost: "127.0.0.63" });
    const phpLog = "/var/lib/spamtrace-test/postfix-lab-scripts/php-mail.log";
    await rm(phpLog, { force: true }); // an earlier run's lines are not this run's
    lab = await makeLab({
      store: "embedded",
      probeHostIds: ["pf-scripts", "pf-before"],
      ports: [await freePort()],
      probeExtra: (hostId) => ({
        mta: { kind: "postfix", logPaths: [postfix.logPath], queuePath: postfix.queueDir, commandEnv: { MAIL_CONFIG: postfix.configDir }, windowMs: 2000, logStartAt: "start", queueIntervalMs: 0 },
        scripts: hostId === "pf-scripts" ? { phpMailLogs: [phpLog] } : { maildropDir: "", phpMailLogs: [] },
      }),
      // The default web-script rule (> 30 messages in 10 min with no history); only detection runs more often.
      collectorExtra: { detect: { intervalMs: 1000, trustedNetworks: [] } },
    });
    await lab.startCollector();
    await lab.startProbe("pf-scripts");
    await lab.startProbe("pf-before");
    // Its launcher's 6,000-character argument (CI's runner passes its environment so) is in the maildrop
    // ancestry: the probe clips it, where the collector refused the whole batch and every later one waited.
    // The two named by the maildrop ancestry alone send 45: with a quarter missed, still over the rule's 30.
    runs.shell = await shellScriptBlast(postfix, "blast", 45, `--env=${JSON.stringify({ JOB: "x".repeat(6000) })}`);
    runs.phpCli = await phpMailer(postfix, { relative: "wp-content/uploads/2026", file: "cache.php", count: 45 });
    runs.phpFpmLike = await phpMailer(postfix, { relative: "wp-content/plugins/forms", file: "inc.php", count: 35, mailLog: phpLog, withoutFileArgument: true });
    runs.phpLogged = await phpMailer(postfix, { relative: "old-site", file: "mailer.php", count: 35, mailLog: phpLog });
    runs.contact = await phpMailer(postfix, { relative: "contact", file: "form.php", count: 3, mailLog: phpLog });
  }, 300_000);

  afterAll(async () => {
    await lab?.close();
    await postfix?.stop();
  });

  const incidents = (): Promise<Incident[]> => lab.sql<Incident>(`SELECT rule, subject, hosts, summary FROM ${lab.database}.alerts FINAL ORDER BY rule, subject`);
  const scriptIncidents = async (host: string): Promise<Incident[]> => (await incidents()).filter((i) => i.rule === "web-script" && i.hosts.includes(host));

  it("each sender of tens of messages in under a minute is a web-script incident naming its file, as Exim's cwd= would", async () => {
    const expected = [runs.shell!, runs.phpCli!, runs.phpFpmLike!, runs.phpLogged!].map((r) => r.script).sort();
    const found = await waitFor(
      "a web-script incident per script",
      async () => {
        const subjects = (await scriptIncidents("pf-scripts")).map((i) => i.subject);
        return expected.every((s) => subjects.includes(s)) ? subjects : undefined;
      },
      90_000,
      1000,
    );
    expect(found.filter((s) => s.startsWith("/")).sort()).toEqual(expected);
    for (const r of Object.values(runs)) expect(r.durationMs).toBeLessThan(60_000);
    console.log(Object.values(runs).map((r) => `${r.script}: ${r.messages} messages in ${(r.durationMs / 1000).toFixed(1)} s`).join("\n"));
  });

  it("every message is named by its script in the windows; the contact form raises nothing", async () => {
    const rows = await lab.sql<{ identity: string; received: string }>(
      `SELECT identity, sum(received) AS received FROM ${lab.database}.mail_windows WHERE host_id = 'pf-scripts' AND identity_kind = 'script' GROUP BY identity ORDER BY identity`,
    );
    const named = new Map(rows.map((r) => [r.identity, Number(r.received)]));
    console.log(`messages named per script: ${[...named].map(([k, v]) => `${k} ${v}`).join(", ")}`);
    // What the probe saw at submission time, per script named (null: no script), and how it knew.
    const seen = await lab.sql<{ source: string; script: string; n: string; inferred: string }>(
      `SELECT source, script, count() AS n, countIf(position(raw, 'writer gone') = 1) AS inferred FROM ${lab.database}.script_submissions WHERE host_id = 'pf-scripts' GROUP BY source, script ORDER BY source, script`,
    );
    console.log(`submissions seen: ${seen.map((r) => `${r.source} ${r.script || "(none)"} ${r.n}${Number(r.inferred) > 0 ? ` (${r.inferred} inferred)` : ""}`).join(", ")}`);
    expect([...named.keys()].sort()).toEqual(Object.values(runs).map((r) => r.script).sort());
    // PHP's mail.log names every mail() call. A pickup whose maildrop ancestry was missed (postdrop gone
    // before a starved probe looked: load 25-31 on 2 cores here) is joined to a PHP line by time and recipient
    // count only, which may hand one message of a script to the next one within the same seconds (measured:
    // 36 and 34 for two scripts of 35 in one CI run): within 2 of the truth, every message named.
    for (const r of [runs.phpFpmLike!, runs.phpLogged!, runs.contact!]) {
      expect(named.get(r.script)).toBeGreaterThanOrEqual(r.messages - 2);
      expect(named.get(r.script)).toBeLessThanOrEqual(r.messages + 2);
    }
    // The maildrop ancestry is a race with postdrop's milliseconds: a writer missed before the loop's first
    // named message stays unnamed. Measured in full runs on an idle machine: 29-33 of 35 (docs/facts.md).
    for (const r of [runs.shell!, runs.phpCli!]) expect(named.get(r.script)).toBeGreaterThanOrEqual(Math.ceil(r.messages * MAILDROP_NAMED_SHARE));
    const byPhpLog = [runs.phpFpmLike!, runs.phpLogged!, runs.contact!].reduce((n, r) => n + r.messages - 2, 0);
    const byMaildrop = [runs.shell!, runs.phpCli!].reduce((n, r) => n + Math.ceil(r.messages * MAILDROP_NAMED_SHARE), 0);
    expect([...named.values()].reduce((n, v) => n + v, 0)).toBeGreaterThanOrEqual(byPhpLog + byMaildrop);
    expect((await incidents()).filter((i) => i.subject.includes("/contact/"))).toEqual([]);
  });

  it("the launcher's 6,000-character argument reaches ClickHouse clipped to the wire limit in each submission's ancestry", async () => {
    const [row] = await lab.sql<{ n: string; longest: string; clipped: string }>(
      `SELECT count() AS n, max(length(raw)) AS longest, countIf(position(raw, 'chars cut]') > 0) AS clipped
       FROM ${lab.database}.script_submissions WHERE host_id = 'pf-scripts' AND script = '${runs.shell!.script}'`,
    );
    expect(Number(row!.n)).toBeGreaterThanOrEqual(Math.ceil(runs.shell!.messages * MAILDROP_NAMED_SHARE));
    expect(Number(row!.longest)).toBeLessThanOrEqual(WIRE_STRING_CHARS);
    expect(Number(row!.clipped)).toBe(Number(row!.n));
  });

  it("before: without the script evidence the same traffic is only 'local user webuser1'", async () => {
    const before = await waitFor("the old incident", async () => {
      const found = await scriptIncidents("pf-before");
      return found.length > 0 ? found : undefined;
    }, 60_000, 1000);
    expect(before.map((i) => i.subject)).toEqual([postfix.webUser]);
    // After: the scripts' incidents take the user in ("(user webuser1)"); no incident names only the user.
    expect((await scriptIncidents("pf-scripts")).filter((i) => i.subject === postfix.webUser)).toEqual([]);
    console.log(`before (scripts off): ${before.map((i) => i.summary).join(" | ")}`);
    console.log(`after (maildrop + mail.log): ${(await scriptIncidents("pf-scripts")).map((i) => i.summary).join("\n  ")}`);
  });
});
