import { incidentToJson, type IncidentJson } from "../incidents/incident-json.js";
import type { IncidentEvent } from "../incidents/incident-tracker.js";

const VERB: Record<IncidentEvent["kind"], string> = { open: "OPENED", escalate: "ESCALATED", resolve: "RESOLVED" };

/** The JSON webhook body. */
export interface WebhookPayload {
  /** open | escalate | resolve. */
  event: IncidentEvent["kind"];
  /** When this payload was built, ISO 8601. */
  sent_at: string;
  incident: IncidentJson;
}

/** The JSON webhook body of an event. */
export function webhookPayload(event: IncidentEvent, nowMs = Date.now()): WebhookPayload {
  return { event: event.kind, sent_at: new Date(nowMs).toISOString(), incident: incidentToJson(event.incident) };
}

/** One-line title: "[spamtrace] OPENED high compromised-account on mx1: alice@example.org". */
export function notificationTitle(event: IncidentEvent): string {
  const i = event.incident;
  const where = i.scope === "fleet" ? `fleet (${i.hosts.length} hosts)` : i.scopeHost;
  return `[spamtrace] ${VERB[event.kind]} ${i.severity} ${i.rule} on ${where}: ${i.subject}`;
}

/** Plain-text body for e-mail (and the Slack fallback text). */
export function notificationText(event: IncidentEvent): string {
  const i = event.incident;
  const lines = [
    notificationTitle(event),
    "",
    i.summary,
    "",
    `incident:   ${i.id}`,
    `rule:       ${i.rule} (${i.scope})`,
    `severity:   ${i.severity}`,
    `status:     ${i.status}`,
    `hosts:      ${i.hosts.join(", ")}`,
    `subject:    ${i.subject}`,
    `first seen: ${new Date(i.firstSeenMs).toISOString()}`,
    `last seen:  ${new Date(i.lastSeenMs).toISOString()}`,
    ...(i.resolvedAtMs > 0 ? [`resolved:   ${new Date(i.resolvedAtMs).toISOString()}`] : []),
    "",
    "Details:",
    ...Object.entries(i.details).map(([k, v]) => `  ${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`),
    "",
    "Counts:",
    ...Object.entries(i.counts).map(([k, v]) => `  ${k}: ${v}`),
  ];
  if (i.evidence.sample_lines.length > 0) lines.push("", "Sample log lines:", ...i.evidence.sample_lines.slice(0, 10).map((l) => `  ${l}`));
  if (i.evidence.queue_ids.length > 0) lines.push("", `Queue ids: ${i.evidence.queue_ids.join(" ")}`);
  if (i.evidence.message_ids.length > 0) lines.push(`Message-IDs: ${i.evidence.message_ids.join(" ")}`);
  if (event.kind !== "resolve") lines.push("", "Next steps:", ...i.remediation.map((s, n) => `  ${n + 1}. ${s}`));
  lines.push("", `More: spamtrace incidents --json (incident ${i.id})`);
  return lines.join("\n") + "\n";
}

/** A Slack / Mattermost incoming-webhook message. */
export function slackPayload(event: IncidentEvent): Record<string, unknown> {
  const i = event.incident;
  const title = notificationTitle(event);
  const fields = [
    `*Hosts:* ${i.hosts.join(", ")}`,
    `*Subject:* ${i.subject}`,
    `*First seen:* ${new Date(i.firstSeenMs).toISOString()}`,
    `*Last seen:* ${new Date(i.lastSeenMs).toISOString()}`,
  ];
  const blocks: Record<string, unknown>[] = [
    { type: "header", text: { type: "plain_text", text: title.slice(0, 150) } },
    { type: "section", text: { type: "mrkdwn", text: i.summary.slice(0, 2900) } },
    { type: "section", fields: fields.map((text) => ({ type: "mrkdwn", text: text.slice(0, 1900) })) },
  ];
  if (i.evidence.sample_lines.length > 0) {
    blocks.push({ type: "section", text: { type: "mrkdwn", text: `\`\`\`${i.evidence.sample_lines.slice(0, 5).join("\n").slice(0, 2800)}\`\`\`` } });
  }
  if (event.kind !== "resolve" && i.remediation.length > 0) {
    blocks.push({ type: "section", text: { type: "mrkdwn", text: i.remediation.map((s, n) => `${n + 1}. ${s}`).join("\n").slice(0, 2900) } });
  }
  return { text: `${title}\n${i.summary}`, blocks };
}
