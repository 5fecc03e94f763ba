import { describe, expect, it } from "vitest";
import { finding } from "../vocabulary/finding-fixtures.test-support.js";
import { RULE_NAMES, remediationSteps } from "./rule-catalog.js";

describe("remediation", () => {
  it.each(RULE_NAMES)("%s has steps that cite the troubleshooting guide", (rule) => {
    const steps = remediationSteps(finding({ rule, details: { account: "alice", pid: 7, script: "/home/u/x.php" } }), "postfix");
    expect(steps.length).toBeGreaterThanOrEqual(2);
    expect(steps.some((s) => /\[guide/.test(s))).toBe(true);
  });
  it("fills in the pid, the account, the queue ids and the MTA's commands", () => {
    expect(remediationSteps(finding(), "postfix")[0]).toBe("Inspect the process on web1: `lsof -Pnp 7` — its cwd and txt lines show where the script lives (cwd /tmp) [guide: inspectez les processus suspects avec lsof].");
    const account = remediationSteps(finding({ rule: "compromised-account", subject: "alice", details: { account: "alice", client_ips: ["203.0.113.5"] }, evidence: { rows: [], sample_lines: [], queue_ids: ["Q1", "Q2"], message_ids: [] } }), "exim");
    expect(account[0]).toBe("Change the password of alice on web1 and end its open sessions (IMAP/SMTP) [guide step 3.1: changez le mot de passe du compte].");
    expect(account[2]).toBe("Remove the spam left in the queue [guide step 4]: check one with `exim -Mvh Q1` then `exim -Mrm Q1 Q2` and the rest of alice's mail (`exim -bp`, -auth_id alice).");
  });
});
