import { createHash } from "node:crypto";
import type { QueueCulprit } from "./queued-message.js";

/** What a step does (for the audit rows and the summary). */
export type StepAction = "hold-queue" | "delete-queue" | "keep-evidence" | "stop-process" | "record-mode" | "disable-script" | "lock-account";

/** One numbered step of a remediation plan. */
export interface PlanStep {
  n: number;
  action: StepAction;
  /** Why, for the operator. */
  description: string;
  /** The exact command run on the host (under `sudo -n` when the login is not root); for a manual step, what the operator runs. */
  argv: string[];
  /** false: printed, never run by spamtrace (a hosting panel's account lock). */
  runs: boolean;
  /**
   * The command that undoes it, when one exists; `{output:N}` stands for the
   * trimmed stdout of step N as applied (a script's mode before chmod 000).
   */
  undo?: string[] | undefined;
}

/** A remediation plan: exactly what `--apply PLAN_ID` runs. */
export interface RemediationPlan {
  planId: string;
  incidentId: string;
  rule: string;
  hostId: string;
  mta: string;
  /** user@host:port the plan runs on. */
  target: string;
  createdAtMs: number;
  /** Who printed it (login@machine). */
  createdBy: string;
  /** What the queue steps do with the culprit's messages. */
  queueAction: "hold" | "delete";
  culprit: QueueCulprit;
  /** Queue ids selected for the culprit (postqueue -j / exim -bp, matched by SASL user or sender). */
  queueIds: string[];
  /** Other messages left in the queue (not the culprit's). */
  otherQueued: number;
  steps: PlanStep[];
}

/** A plan's id: the hash of everything it runs and where, so a changed plan is another id. */
export function planIdOf(plan: Omit<RemediationPlan, "planId">): string {
  return createHash("sha256").update(JSON.stringify([plan.incidentId, plan.hostId, plan.target, plan.createdAtMs, plan.steps])).digest("hex").slice(0, 12);
}

/** Fills `{output:N}` in an undo command from the applied steps' output. */
export function resolveUndo(undo: readonly string[], outputs: ReadonlyMap<number, string>): string[] {
  return undo.map((arg) => arg.replace(/\{output:(\d+)\}/g, (_, n: string) => outputs.get(Number(n))?.trim() ?? `<output of step ${n}>`));
}
