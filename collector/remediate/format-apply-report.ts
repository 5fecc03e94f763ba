import { shellQuote } from "../ssh/ssh-session.js";
import type { ApplyReport } from "./apply-plan.js";
import type { RemediationPlan } from "./plan.js";

/** What `spamtrace remediate ID --apply|--undo PLAN` prints: each command run with its exit status, what is left by hand, how to undo. */
export function formatApplyReport(incidentId: string, plan: RemediationPlan, report: ApplyReport, mode: "apply" | "undo"): string {
  const lines = report.actions.map((a) => `${a.kind} step ${a.step} (${a.action}): exit ${a.exitCode}  ${a.command}${a.exitCode !== 0 && a.stderr ? `\n   ${a.stderr.trim()}` : ""}`);
  if (report.actions.length === 0) lines.push(mode === "undo" ? `nothing of plan ${plan.planId} to undo` : `plan ${plan.planId} has no command to run`);
  if (report.failedStep !== undefined) lines.push(`step ${report.failedStep} failed: the steps after it did not run`);
  lines.push(`recorded in remediation_actions (plan_id = '${plan.planId}')`);
  for (const s of plan.steps.filter((x) => !x.runs)) lines.push(`still to do by hand (step ${s.n}): ${s.description}\n   ${s.argv.map(shellQuote).join(" ")}`);
  if (report.undo.length > 0) lines.push(`undo: spamtrace remediate ${incidentId} --undo ${plan.planId}   (runs: ${report.undo.map((u) => u.map(shellQuote).join(" ")).join("; ")})`);
  return lines.join("\n") + "\n";
}
