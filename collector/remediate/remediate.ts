import { hostname, userInfo } from "node:os";
import { ALERT_COLUMNS, fromAlertRow, newestVersions } from "../incidents/alerts-table.js";
import type { Incident } from "../incidents/incident.js";

import { sqlLiteral, tableName } from "../store/clickhouse/sql-literal.js";
import { SshSession, type SshTarget } from "../ssh/ssh-session.js";
import { applyPlan, undoPlan, type ApplyReport } from "./apply-plan.js";
import { buildPlan } from "./build-plan.js";
import { mtaCommands } from "./mta-commands.js";
import type { RemediationPlan } from "./plan.js";
import { readRemoteQueue } from "./read-remote-queue.js";
import type { SshConfig } from "../ssh/ssh-config.js";
import type { RemediateConfig } from "./remediate-config.js";
import { RemediationLedger, type LedgerIo } from "./remediation-ledger.js";

/** Everything `spamtrace remediate` works with. */
export interface RemediateDeps {
  io: LedgerIo;
  database: string;
  ssh: SshConfig;
  remediate: RemediateConfig;
  /** Who runs it, for the audit (default: login@machine; SUDO_USER when run through sudo). */
  actor?: string;
  now?: () => number;
}

/** Who is running spamtrace: the login behind sudo when there is one. */
export function currentActor(): string {
  return `${process.env.SUDO_USER || userInfo().username}@${hostname()}`;
}

/** Thrown for a wrong incident id, plan id or host: the command exits 2 with the message. */
export class RemediateError extends Error {
  override name = "RemediateError";
}

async function loadIncident(deps: RemediateDeps, incidentId: string): Promise<Incident> {
  const rows = await deps.io.query(`SELECT ${ALERT_COLUMNS.join(", ")} FROM ${tableName(deps.database, "alerts")} FINAL WHERE incident_id = ${sqlLiteral(incidentId)}`);
  const incident = newestVersions(rows.map(fromAlertRow))[0];
  if (!incident) throw new RemediateError(`no incident ${incidentId} (spamtrace incidents --all lists them)`);
  return incident;
}

/** The host's MTA kind and hostname from its latest Hello. */
async function hostFacts(deps: RemediateDeps, hostId: string): Promise<{ mtaKind: string; hostname: string }> {
  const rows = await deps.io.query(
    `SELECT argMax(mta_kind, last_seen_unix_ms) AS kind, argMax(hostname, last_seen_unix_ms) AS name FROM ${tableName(deps.database, "hosts")} WHERE host_id = ${sqlLiteral(hostId)} GROUP BY host_id`,
  );
  return { mtaKind: String(rows[0]?.kind ?? ""), hostname: String(rows[0]?.name ?? "") };
}

/** How to reach a host: ssh.hosts.<hostId> overrides, else its Hello hostname, else the host id. */
export function sshTargetFor(config: SshConfig, hostId: string, helloHostname: string): SshTarget {
  const o = config.hosts[hostId] ?? {};
  return {
    host: o.address ?? (helloHostname || hostId),
    port: o.port ?? config.port,
    user: o.user ?? config.user,
    privateKeyFile: config.privateKeyFile,
    knownHostsFile: o.knownHostsFile ?? config.knownHostsFile,
    timeoutMs: config.timeoutMs,
  };
}

/**
 * Builds, stores and returns the plan for an incident on one of its hosts:
 * connects (host key checked), reads the queue when the incident names a
 * queue culprit, and turns the incident into exact commands. Runs nothing
 * that changes the host: only `postqueue -j` / `postcat -e` / `exim -bp` /
 * `exim -Mvh`.
 */
export async function planRemediation(deps: RemediateDeps, incidentId: string, opts: { host?: string; queueAction: "hold" | "delete" }): Promise<RemediationPlan> {
  const incident = await loadIncident(deps, incidentId);
  const hostId = opts.host ?? (incident.scopeHost || incident.hosts[0] || "");
  if (!hostId || !(incident.hosts.includes(hostId) || incident.scopeHost === hostId)) throw new RemediateError(`--host ${opts.host ?? ""} must be one of the incident's hosts: ${incident.hosts.join(", ")}`);
  const facts = await hostFacts(deps, hostId);
  const target = sshTargetFor(deps.ssh, hostId, facts.hostname);
  const overrides = deps.ssh.hosts[hostId] ?? {};
  const mta = mtaCommands(facts.mtaKind, overrides);
  const ssh = await SshSession.open(target);
  try {
    const wantsQueue = Boolean(incident.details.account || incident.details.identity || incident.details.sender);
    const queue = mta && wantsQueue ? await readRemoteQueue(ssh, mta, deps.remediate.maxQueueMessages) : [];
    const plan = buildPlan({
      incident,
      hostId,
      mtaKind: facts.mtaKind,
      mta,
      queue,
      queueAction: opts.queueAction,
      evidenceDir: deps.remediate.evidenceDir,
      target: `${target.user}@${target.host}:${target.port}`,
      createdBy: deps.actor ?? currentActor(),
      nowMs: (deps.now ?? Date.now)(),
    });
    await new RemediationLedger(deps.io, deps.database).savePlan(plan);
    return plan;
  } finally {
    ssh.close();
  }
}

/** Runs a stored plan (or its undo) over SSH; the plan must belong to the incident given. */
export async function runStoredPlan(deps: RemediateDeps, incidentId: string, planId: string, mode: "apply" | "undo"): Promise<{ plan: RemediationPlan; report: ApplyReport }> {
  const ledger = new RemediationLedger(deps.io, deps.database);
  const plan = await ledger.loadPlan(planId);
  if (!plan) throw new RemediateError(`no plan ${planId}: print one first with spamtrace remediate ${incidentId}`);
  if (plan.incidentId !== incidentId) throw new RemediateError(`plan ${planId} belongs to incident ${plan.incidentId}, not ${incidentId}`);
  const facts = await hostFacts(deps, plan.hostId);
  const target = sshTargetFor(deps.ssh, plan.hostId, facts.hostname);
  if (`${target.user}@${target.host}:${target.port}` !== plan.target) throw new RemediateError(`plan ${planId} was made for ${plan.target}, the config now reaches ${plan.hostId} as ${target.user}@${target.host}:${target.port}: print a new plan`);
  const ssh = await SshSession.open(target);
  try {
    const actor = deps.actor ?? currentActor();
    const report = mode === "apply" ? await applyPlan(plan, ssh, ledger, actor, deps.now) : await undoPlan(plan, ssh, ledger, actor, deps.now);
    return { plan, report };
  } finally {
    ssh.close();
  }
}

