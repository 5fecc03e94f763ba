import PostalMime from "postal-mime";
import type { MailHeader } from "./header-identities.js";

/** The complained-about message: its headers, and the feedback report that wrapped it, if any. */
export interface ComplaintMessage {
  headers: MailHeader[];
  /** Set when the input was an ARF / feedback-loop report (or a forward) and the attached original was taken. */
  wrapper: { feedbackType: string | null; reporter: string | null; subject: string | null } | null;
}

const ORIGINAL_TYPES = new Set(["message/rfc822", "text/rfc822-headers"]);

function toHeaders(list: readonly { key: string; value: string }[]): MailHeader[] {
  return list.map((h) => ({ key: h.key.toLowerCase(), value: h.value }));
}

function bytesOf(content: ArrayBuffer | Uint8Array | string): Uint8Array {
  if (typeof content === "string") return new TextEncoder().encode(content);
  return content instanceof Uint8Array ? content : new Uint8Array(content);
}

/**
 * Parses a complaint with postal-mime (a maintained, dependency-free MIME
 * parser). An ARF report (RFC 5965: multipart/report, report-type
 * feedback-report) or any mail that carries the original as a
 * message/rfc822 or text/rfc822-headers part is unwrapped: the original is
 * what the complaint is about. Throws with a plain reason on input that is
 * not a mail.
 */
export async function readComplaint(raw: Uint8Array): Promise<ComplaintMessage> {
  if (raw.length === 0) throw new Error("the complaint is empty");
  const outer = await PostalMime.parse(raw, { forceRfc822Attachments: true, attachmentEncoding: "arraybuffer" });
  if (outer.headers.length === 0) throw new Error("no mail headers found: is this an .eml file?");
  const original = outer.attachments.find((a) => ORIGINAL_TYPES.has(a.mimeType));
  if (original === undefined) return { headers: toHeaders(outer.headers), wrapper: null };
  const report = outer.attachments.find((a) => a.mimeType === "message/feedback-report");
  const reportText = report === undefined ? "" : new TextDecoder().decode(bytesOf(report.content));
  const field = (name: string): string | null => new RegExp(`^${name}:\\s*(.+)$`, "im").exec(reportText)?.[1]?.trim() ?? null;
  const inner = await PostalMime.parse(bytesOf(original.content), { attachmentEncoding: "arraybuffer" });
  return {
    headers: toHeaders(inner.headers),
    wrapper: {
      feedbackType: field("Feedback-Type"),
      reporter: field("Reporting-MTA") ?? field("User-Agent") ?? (outer.from && "address" in outer.from ? (outer.from.address ?? null) : null),
      subject: outer.subject ?? null,
    },
  };
}
