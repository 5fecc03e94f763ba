import { describe, expect, it } from "vitest";
import { checkReadOnlySql } from "../admin/check-read-only-sql.js";
import { fromAlertRow, incidentsSql, newestVersions, toAlertRow } from "./alerts-table.js";
import { formatIncidents } from "./format-incidents.js";
import { incidentId, incidentKey } from "./incident.js";
import { finding } from "../vocabulary/finding-fixtures.test-support.js";
import { incident } from "./incident-fixtures.test-support.js";
import { incidentToJson } from "./incident-json.js";
import { mergeFindings } from "./incident-tracker.js";

describe("incident identity", () => {
  it("keys on rule, scope, host and subject", () => {
    expect(incidentKey(finding())).toBe("direct-to-mx|host|web1|/tmp/x (user www-data)");
    expect(incidentKey(finding({ scope: "fleet", scopeHost: "", subject: "sha256:ff" }))).toBe("direct-to-mx|fleet||sha256:ff");
  });
  it("derives the same id everywhere, and a new one after each resolved incident", () => {
    const key = incidentKey(finding());
    const first = incidentId(key, "");
    expect(first).toMatch(/^[0-9a-f]{24}$/);
    expect(incidentId(key, "")).toBe(first);
    expect(incidentId(key, first)).not.toBe(first);
    expect(incidentId(`${key}x`, "")).not.toBe(first);
  });
});

describe("mergeFindings", () => {
  it("merges checks of one rule naming the same subject into one finding", () => {
    const merged = mergeFindings([
      finding({ rule: "compromised-account", subject: "alice", check: "volume", firstSeenMs: 5, lastSeenMs: 10, severityBoost: 1, counts: { messages: 300 } }),
      finding({ rule: "compromised-account", subject: "alice", check: "auth-burst-then-success", firstSeenMs: 1, lastSeenMs: 8, counts: { failures_before_success: 12 }, evidence: { rows: [], sample_lines: ["auth line"], queue_ids: [], message_ids: [] } }),
      finding({ rule: "compromised-account", subject: "bob" }),
    ]);
    expect([...merged.keys()]).toEqual(["compromised-account|host|web1|alice", "compromised-account|host|web1|bob"]);
    expect(merged.get("compromised-account|host|web1|alice")).toMatchObject({
      check: "volume+auth-burst-then-success",
      firstSeenMs: 1,
      lastSeenMs: 10,
      severityBoost: 1,
      counts: { messages: 300, failures_before_success: 12 },
      evidence: { sample_lines: ["auth line", "line 1"] },
    });
  });
});

describe("alerts rows", () => {
  it("round-trip an incident, tolerate damaged JSON and keep the newest version per id", () => {
    const i = incident();
    const row = toAlertRow(i);
    expect(row).toMatchObject({ incident_id: "abc", opened_at: "1970-01-01 00:00:01", counts_json: '{"sockets":1}' });
    // 18.16 returns UInt64 as strings.
    const back = fromAlertRow({ ...row, version: "3000", opened_at_unix_ms: "1000", detections: "1" });
    expect(back).toEqual(i);
    expect(fromAlertRow({ ...row, evidence_json: "{not json" }).evidence).toEqual({ rows: [], sample_lines: [], queue_ids: [], message_ids: [] });
    expect(newestVersions([incident({ version: 1 }), incident({ version: 5, status: "resolved" }), incident({ id: "other" })]).map((x) => [x.id, x.status])).toEqual([
      ["abc", "resolved"],
      ["other", "open"],
    ]);
  });
  it("selects by the newest version's status, with values bound as literals", () => {
    const sql = incidentsSql("spamtrace", { status: "open", rule: "open-relay'--", limit: 5 });
    expect(sql).toContain("FROM `spamtrace`.`alerts` FINAL\nWHERE incident_id IN (SELECT incident_id FROM `spamtrace`.`alerts` GROUP BY incident_id HAVING argMax(status, version) = 'open' AND argMax(rule, version) = 'open-relay\\'--')");
    expect(sql.endsWith("LIMIT 5")).toBe(true);
    // `spamtrace incidents` sends it through the read-only gate of `spamtrace sql` / the admin endpoint.
    expect(checkReadOnlySql(incidentsSql("spamtrace", { status: "open" }))).toBe(incidentsSql("spamtrace", { status: "open" }));
  });
});

describe("incident output", () => {
  it("JSON has the fields the abuse team needs", () => {
    expect(incidentToJson(incident())).toMatchObject({
      id: "abc",
      rule: "direct-to-mx",
      severity: "critical",
      hosts: ["web1"],
      subject: "/tmp/x (user www-data)",
      first_seen: "1970-01-01T00:00:01.000Z",
      last_seen: "1970-01-01T00:00:02.000Z",
      resolved_at: null,
      evidence: { queue_ids: ["Q1"] },
      remediation: ["Inspect the process on web1: `lsof -Pnp 7`"],
    });
  });
  it("the terminal view is a table followed by each incident's evidence and next steps", () => {
    expect(formatIncidents([incident()])).toBe(
      [
        "ID   SEVERITY  RULE          STATUS  HOSTS  SUBJECT                 FIRST SEEN (UTC)     LAST SEEN (UTC)",
        "---  --------  ------------  ------  -----  ----------------------  -------------------  -------------------",
        "abc  critical  direct-to-mx  open    web1   /tmp/x (user www-data)  1970-01-01 00:00:01  1970-01-01 00:00:02",
        "",
        "== abc  critical direct-to-mx (host) — /tmp/x (user www-data)",
        "   pid 7 /tmp/x connected to 1 MX",
        "   pid: 7",
        "   exe: /tmp/x",
        "   cwd: /tmp",
        '   checks: ["process"]',
        "   queue ids: Q1",
        "   | line 1",
        "   1. Inspect the process on web1: `lsof -Pnp 7`",
        "",
      ].join("\n"),
    );
    expect(formatIncidents([])).toBe("no incidents\n");
  });
});
