import { shellQuote } from "../ssh/ssh-session.js";
import type { Incident } from "../incidents/incident.js";
import type { MtaCommands } from "./mta-commands.js";
import { planIdOf, type PlanStep, type RemediationPlan } from "./plan.js";
import { selectCulpritMessages, type QueueCulprit, type QueuedMessage } from "./queued-message.js";

/** Queue ids per postsuper / exim command (argument length stays small). */
const IDS_PER_COMMAND = 100;

/** What the plan needs besides the incident. */
export interface PlanInputs {
  incident: Incident;
  hostId: string;
  mtaKind: string;
  mta: MtaCommands | undefined;
  /** The host's queue as read just now (empty when the incident has no queue culprit). */
  queue: readonly QueuedMessage[];
  queueAction: "hold" | "delete";
  /** Folder on the host where a process's executable is copied before it is stopped. */
  evidenceDir: string;
  target: string;
  createdBy: string;
  nowMs: number;
}

/** Whose queued mail the incident names: the account of compromised-account, an envelope sender identity. */
export function queueCulpritOf(incident: Pick<Incident, "rule" | "details">): QueueCulprit | undefined {
  const d = incident.details;
  if (typeof d.account === "string" && d.account !== "") return { saslUser: d.account, ...(d.account.includes("@") ? { sender: d.account } : {}) };
  if (d.identity_kind === "sasl_user" && typeof d.identity === "string") return { saslUser: d.identity };
  if (d.identity_kind === "envelope_sender" && typeof d.identity === "string") return { sender: d.identity };
  if (typeof d.sender === "string" && d.sender !== "") return { sender: d.sender };
  return undefined;
}

/**
 * The guide's clean-up for one incident on one host, as exact commands:
 * hold (or delete) the culprit's queued messages, keep a direct-to-MX
 * process's executable and hash then kill it, disable a script with
 * chmod 000 (as CSF does) after recording its mode, and the hosting panel's
 * account lock (printed only: spamtrace never changes accounts).
 */
export function buildPlan(p: PlanInputs): RemediationPlan {
  const steps: Omit<PlanStep, "n">[] = [];
  const d = p.incident.details;
  const culprit = queueCulpritOf(p.incident) ?? {};
  const account = culprit.saslUser;
  if (account) {
    const mailbox = account.includes("@") ? account : `${account}@<domain>`;
    steps.push({
      action: "lock-account",
      description: `Change ${account}'s password or suspend its outgoing mail in the hosting panel (printed, never run): cPanel \`uapi --user=<cPanel account> Email suspend_outgoing email=${mailbox}\`; Plesk (below)`,
      argv: ["plesk", "bin", "mail", "--update", mailbox, "-passwd", "<new password>"],
      runs: false,
    });
  }
  const selected = p.mta && (culprit.saslUser || culprit.sender) ? selectCulpritMessages(p.queue, culprit) : [];
  const ids = selected.map((m) => m.queueId);
  for (let i = 0; i < ids.length && p.mta; i += IDS_PER_COMMAND) {
    const chunk = ids.slice(i, i + IDS_PER_COMMAND);
    const who = [culprit.saslUser && `SASL user ${culprit.saslUser}`, culprit.sender && `sender ${culprit.sender}`].filter(Boolean).join(" or ");
    if (p.queueAction === "hold")
      steps.push({ action: "hold-queue", description: `${p.mta.kind === "exim" ? "Freeze" : "Hold"} ${chunk.length} queued messages of ${who} (undo: ${p.mta.kind === "exim" ? "thaw" : "release"})`, argv: p.mta.hold(chunk), runs: true, undo: p.mta.release(chunk) });
    else steps.push({ action: "delete-queue", description: `Delete ${chunk.length} queued messages of ${who} [guide step 4] (cannot be undone)`, argv: p.mta.delete(chunk), runs: true });
  }
  const pid = typeof d.pid === "number" ? d.pid : undefined;
  if (p.incident.rule === "direct-to-mx" && pid !== undefined && pid > 0) {
    const kept = `${p.evidenceDir}/${p.incident.id}/pid-${pid}.exe`;
    steps.push({ action: "keep-evidence", description: `Hash the executable of pid ${pid} (${String(d.exe ?? "?")}) as evidence; fails, and stops the plan, if the process is gone`, argv: ["sha256sum", `/proc/${pid}/exe`], runs: true });
    steps.push({ action: "keep-evidence", description: `Keep a copy of it in ${kept} [guide: lsof -Pnp PID, txt]`, argv: ["install", "-D", "-m", "0400", `/proc/${pid}/exe`, kept], runs: true });
    steps.push({ action: "stop-process", description: `Stop pid ${pid} (user ${String(d.user ?? "?")}, cwd ${String(d.cwd ?? "?")}) [guide step 3]`, argv: ["kill", "-KILL", String(pid)], runs: true });
  }
  const script = typeof d.script === "string" && d.script.startsWith("/") ? d.script : undefined;
  if (script) {
    steps.push({ action: "record-mode", description: `Record ${script}'s mode (for the undo)`, argv: ["stat", "-c", "%a", script], runs: true });
    steps.push({ action: "disable-script", description: `Disable ${script} (chmod 000, as CSF does) [guide step 3]`, argv: ["chmod", "000", script], runs: true, undo: ["chmod", `{output:${steps.length}}`, script] });
  }
  const numbered = steps.map((s, i) => ({ ...s, n: i + 1 }));
  const plan: Omit<RemediationPlan, "planId"> = {
    incidentId: p.incident.id,
    rule: p.incident.rule,
    hostId: p.hostId,
    mta: p.mtaKind,
    target: p.target,
    createdAtMs: p.nowMs,
    createdBy: p.createdBy,
    queueAction: p.queueAction,
    culprit,
    queueIds: ids,
    otherQueued: p.queue.length - ids.length,
    steps: numbered,
  };
  return { ...plan, planId: planIdOf(plan) };
}

/** The plan as printed: numbered commands, what runs and what is only printed. */
export function formatPlan(plan: RemediationPlan): string {
  const lines = [
    `Plan ${plan.planId} for incident ${plan.incidentId} (${plan.rule}) on ${plan.hostId} (${plan.mta || "MTA unknown"}) via ${plan.target}`,
    plan.culprit.saslUser || plan.culprit.sender ? `Queue: ${plan.queueIds.length} messages of the culprit, ${plan.otherQueued} others left alone` : "",
    "",
  ].filter((l, i) => l !== "" || i === 2);
  if (plan.steps.length === 0) lines.push("Nothing to run for this incident on this host.");
  for (const s of plan.steps) {
    lines.push(`${s.n}. ${s.description}`);
    lines.push(`   ${s.runs ? "$" : "(printed, not run)"} ${s.argv.map(shellQuote).join(" ")}`);
    if (s.undo) lines.push(`   undo: ${s.undo.map(shellQuote).join(" ")}`);
  }
  lines.push("", `Nothing has run. To run exactly these commands: spamtrace remediate ${plan.incidentId} --apply ${plan.planId}`);
  return lines.join("\n") + "\n";
}
