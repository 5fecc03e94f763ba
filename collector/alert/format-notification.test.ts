import { describe, expect, it } from "vitest";
import { incident } from "../incidents/incident-fixtures.test-support.js";
import { notificationText, notificationTitle, slackPayload, webhookPayload } from "./format-notification.js";

describe("notification formats", () => {
  const event = { kind: "open" as const, incident: incident() };
  it("titles name the event, severity, rule, where and what", () => {
    expect(notificationTitle(event)).toBe("[spamtrace] OPENED critical direct-to-mx on web1: /tmp/x (user www-data)");
    expect(notificationTitle({ kind: "resolve", incident: incident({ scope: "fleet", scopeHost: "", hosts: ["a", "b"], subject: "sha256:ff" }) })).toBe(
      "[spamtrace] RESOLVED critical direct-to-mx on fleet (2 hosts): sha256:ff",
    );
  });
  it("the JSON webhook body carries the incident", () => {
    expect(webhookPayload(event, 0)).toMatchObject({ event: "open", sent_at: "1970-01-01T00:00:00.000Z", incident: { id: "abc", rule: "direct-to-mx", hosts: ["web1"], remediation: expect.any(Array) } });
  });
  it("the Slack body has a fallback text and blocks with the evidence and next steps", () => {
    const slack = slackPayload(event) as { text: string; blocks: { type: string; text?: { text: string } }[] };
    expect(slack.text).toBe("[spamtrace] OPENED critical direct-to-mx on web1: /tmp/x (user www-data)\npid 7 /tmp/x connected to 1 MX");
    expect(slack.blocks.map((b) => b.type)).toEqual(["header", "section", "section", "section", "section"]);
    expect(slack.blocks[3]!.text!.text).toBe("```line 1```");
    expect(slack.blocks[4]!.text!.text).toBe("1. Inspect the process on web1: `lsof -Pnp 7`");
  });
  it("the e-mail text lists details, evidence and steps (no steps once resolved)", () => {
    const text = notificationText(event);
    expect(text).toContain("hosts:      web1\n");
    expect(text).toContain("Sample log lines:\n  line 1\n");
    expect(text).toContain("Next steps:\n  1. Inspect the process on web1: `lsof -Pnp 7`\n");
    expect(notificationText({ kind: "resolve", incident: incident({ resolvedAtMs: 5000, status: "resolved" }) })).not.toContain("Next steps");
  });
});
