import { describe, expect, it } from "vitest";
import type { Incident } from "../incidents/incident.js";
import { buildPlan } from "./build-plan.js";
import { mtaCommands } from "./mta-commands.js";
import { resolveUndo } from "./plan.js";

function incident(rule: string, details: Record<string, unknown>): Incident {
  return { id: "inc1", key: "", rule, scope: "host", scopeHost: "web1", subject: "s", severity: "high", status: "open", hosts: ["web1"], summary: "", openedAtMs: 0, firstSeenMs: 0, lastSeenMs: 0, updatedAtMs: 0, resolvedAtMs: 0, detections: 1, counts: {}, details, evidence: { rows: [], sample_lines: [], queue_ids: [], message_ids: [] }, remediation: [], previousIncidentId: "", collectorId: "c", version: 1, suppressionId: "", suppressionReason: "" };
}
const common = { hostId: "web1", mtaKind: "postfix", mta: mtaCommands("postfix"), queue: [], queueAction: "hold" as const, evidenceDir: "/var/lib/spamtrace/evidence", target: "root@web1:22", createdBy: "a@b", nowMs: 1 };

describe("buildPlan", () => {
  it("keeps a direct-to-MX process's executable and hash, then kills it", () => {
    const plan = buildPlan({ ...common, incident: incident("direct-to-mx", { pid: 4242, exe: "/tmp/.x/sendmail", user: "www-data", cwd: "/tmp/.x" }) });
    expect(plan.steps.map((s) => [s.n, s.action, s.argv.join(" "), s.runs])).toEqual([
      [1, "keep-evidence", "sha256sum /proc/4242/exe", true],
      [2, "keep-evidence", "install -D -m 0400 /proc/4242/exe /var/lib/spamtrace/evidence/inc1/pid-4242.exe", true],
      [3, "stop-process", "kill -KILL 4242", true],
    ]);
    expect(plan.steps.every((s) => s.undo === undefined)).toBe(true);
  });

  it("disables a script after recording its mode, and its undo restores that mode", () => {
    const plan = buildPlan({ ...common, incident: incident("web-script", { identity_kind: "script", identity: "/home/u/public_html/x.php", script: "/home/u/public_html/x.php" }) });
    expect(plan.steps.map((s) => s.argv.join(" "))).toEqual(["stat -c %a /home/u/public_html/x.php", "chmod 000 /home/u/public_html/x.php"]);
    expect(resolveUndo(plan.steps[1]!.undo!, new Map([[1, "644\n"]]))).toEqual(["chmod", "644", "/home/u/public_html/x.php"]);
  });

  it("gives the same plan the same id, and another plan another", () => {
    const a = buildPlan({ ...common, incident: incident("direct-to-mx", { pid: 1 }) });
    expect(buildPlan({ ...common, incident: incident("direct-to-mx", { pid: 1 }) }).planId).toBe(a.planId);
    expect(buildPlan({ ...common, incident: incident("direct-to-mx", { pid: 2 }) }).planId).not.toBe(a.planId);
  });
});
