import type { SshSession } from "../ssh/ssh-session.js";
import { resolveUndo, type RemediationPlan } from "./plan.js";
import type { RemediationAction, RemediationLedger } from "./remediation-ledger.js";

/** What an apply (or undo) run did. */
export interface ApplyReport {
  actions: RemediationAction[];
  /** The step that failed (non-zero exit), after which nothing else ran; undefined when all ran. */
  failedStep?: number | undefined;
  /** Commands that undo what was applied (resolved), in the order to run them. */
  undo: string[][];
}

/**
 * Runs the plan's steps that run (never the printed-only ones), in order,
 * each under `sudo -n` unless logged in as root, and records every command in
 * `remediation_actions` as it finishes. Stops at the first command that
 * fails: a later step may depend on it (the evidence copy before the kill).
 */
export async function applyPlan(plan: RemediationPlan, ssh: SshSession, ledger: RemediationLedger, actor: string, now: () => number = Date.now): Promise<ApplyReport> {
  const actions: RemediationAction[] = [];
  const outputs = new Map<number, string>();
  let failedStep: number | undefined;
  for (const step of plan.steps) {
    if (!step.runs) continue;
    const startedAtMs = now();
    const r = await ssh.run(step.argv);
    const action: RemediationAction = { planId: plan.planId, incidentId: plan.incidentId, hostId: plan.hostId, target: plan.target, kind: "apply", step: step.n, action: step.action, actor, command: r.command, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, startedAtMs, durationMs: now() - startedAtMs };
    await ledger.record([action]);
    actions.push(action);
    outputs.set(step.n, r.stdout);
    if (r.exitCode !== 0) {
      failedStep = step.n;
      break;
    }
  }
  const applied = new Set(actions.filter((a) => a.exitCode === 0).map((a) => a.step));
  const undo = plan.steps.filter((s) => s.undo && applied.has(s.n)).reverse().map((s) => resolveUndo(s.undo!, outputs));
  return { actions, failedStep, undo };
}

/** Runs the undo commands of the steps an earlier apply of the plan ran successfully (newest first), recorded as kind "undo". */
export async function undoPlan(plan: RemediationPlan, ssh: SshSession, ledger: RemediationLedger, actor: string, now: () => number = Date.now): Promise<ApplyReport> {
  const applied = (await ledger.actions(plan.planId)).filter((a) => a.kind === "apply" && a.exitCode === 0);
  const outputs = new Map(applied.map((a) => [a.step, a.stdout]));
  const done = new Set(applied.map((a) => a.step));
  const actions: RemediationAction[] = [];
  let failedStep: number | undefined;
  for (const step of [...plan.steps].reverse()) {
    if (!step.undo || !done.has(step.n)) continue;
    const startedAtMs = now();
    const r = await ssh.run(resolveUndo(step.undo, outputs));
    const action: RemediationAction = { planId: plan.planId, incidentId: plan.incidentId, hostId: plan.hostId, target: plan.target, kind: "undo", step: step.n, action: step.action, actor, command: r.command, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, startedAtMs, durationMs: now() - startedAtMs };
    await ledger.record([action]);
    actions.push(action);
    if (r.exitCode !== 0) {
      failedStep = step.n;
      break;
    }
  }
  return { actions, failedStep, undo: [] };
}
