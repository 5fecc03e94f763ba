import { toClickHouseDateTime } from "../store/clickhouse/datetime.js";
import { num } from "../store/clickhouse/sql.js";
import { sqlLiteral, tableName } from "../store/clickhouse/sql-literal.js";
import type { Row } from "../store/clickhouse/store.js";
import type { RemediationPlan, StepAction } from "./plan.js";

/** One command run (or refused) on a host: an audit row of `remediation_actions`. */
export interface RemediationAction {
  planId: string;
  incidentId: string;
  hostId: string;
  target: string;
  /** apply or undo. */
  kind: "apply" | "undo";
  step: number;
  action: StepAction;
  /** login@machine of whoever ran spamtrace. */
  actor: string;
  /** The command line sent, as the host's shell received it. */
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  startedAtMs: number;
  durationMs: number;
}

/** How the remediation reads and writes the store: directly, or through the running collector (embedded engine). */
export interface LedgerIo {
  query(sql: string): Promise<Row[]>;
  insert(table: "remediation_plans" | "remediation_actions", rows: Row[]): Promise<void>;
}

/** Output kept per audit row, characters (the rest is cut: a listing of thousands of ids is not evidence). */
const MAX_OUTPUT_CHARS = 65_536;

/** Plans and audit rows in ClickHouse. */
export class RemediationLedger {
  constructor(
    private readonly io: LedgerIo,
    private readonly database: string,
  ) {}

  async savePlan(plan: RemediationPlan): Promise<void> {
    await this.io.insert("remediation_plans", [
      {
        plan_id: plan.planId,
        incident_id: plan.incidentId,
        rule: plan.rule,
        host_id: plan.hostId,
        mta: plan.mta,
        target: plan.target,
        created_at: toClickHouseDateTime(plan.createdAtMs),
        created_at_unix_ms: plan.createdAtMs,
        created_by: plan.createdBy,
        plan_json: JSON.stringify(plan),
      },
    ]);
  }

  /** The stored plan, or undefined. */
  async loadPlan(planId: string): Promise<RemediationPlan | undefined> {
    const rows = await this.io.query(`SELECT plan_json FROM ${tableName(this.database, "remediation_plans")} WHERE plan_id = ${sqlLiteral(planId)} ORDER BY created_at_unix_ms DESC LIMIT 1`);
    return rows[0] ? (JSON.parse(String(rows[0].plan_json)) as RemediationPlan) : undefined;
  }

  async record(actions: readonly RemediationAction[]): Promise<void> {
    if (actions.length === 0) return;
    await this.io.insert(
      "remediation_actions",
      actions.map((a) => ({
        plan_id: a.planId,
        incident_id: a.incidentId,
        host_id: a.hostId,
        target: a.target,
        kind: a.kind,
        step: a.step,
        action: a.action,
        actor: a.actor,
        command: a.command,
        exit_code: a.exitCode,
        stdout: a.stdout.slice(0, MAX_OUTPUT_CHARS),
        stderr: a.stderr.slice(0, MAX_OUTPUT_CHARS),
        started_at: toClickHouseDateTime(a.startedAtMs),
        started_at_unix_ms: a.startedAtMs,
        duration_ms: Math.max(0, Math.round(a.durationMs)),
      })),
    );
  }

  /** The audit rows of a plan, in the order they ran. */
  async actions(planId: string): Promise<RemediationAction[]> {
    const rows = await this.io.query(`SELECT * FROM ${tableName(this.database, "remediation_actions")} WHERE plan_id = ${sqlLiteral(planId)} ORDER BY started_at_unix_ms, step`);
    return rows.map((r) => ({
      planId: String(r.plan_id),
      incidentId: String(r.incident_id),
      hostId: String(r.host_id),
      target: String(r.target),
      kind: String(r.kind) as RemediationAction["kind"],
      step: num(r.step),
      action: String(r.action) as StepAction,
      actor: String(r.actor),
      command: String(r.command),
      exitCode: num(r.exit_code),
      stdout: String(r.stdout),
      stderr: String(r.stderr),
      startedAtMs: num(r.started_at_unix_ms),
      durationMs: num(r.duration_ms),
    }));
  }
}
