// Complaints as the abuse desk receives them: the queued message with the
// recipient's MX hop on top, and an ARF (RFC 5965) feedback report wrapping it.

/** The message as the recipient's mailbox holds it: the recipient MX's Received: on top of what our host wrote. */
export function withMxHop(message: string, ourAddress: string): Buffer {
  const text = message.replace(/\r?\n/g, "\r\n");
  const by = /^Received: [\s\S]*?\bby (\S+)/m.exec(text)?.[1] ?? "unknown";
  const date = new Date().toUTCString().replace("GMT", "+0000");
  return Buffer.from(`Received: from ${by} (${by} [${ourAddress}])\r\n\tby mx.example.net (Postfix) with ESMTPS id 4MxHop1z2\r\n\tfor <victim@example.net>; ${date}\r\n${text}`);
}

/** An ARF report from a mailbox provider's feedback loop carrying `original` as message/rfc822. */
export function arfReport(original: Buffer, feedbackType: string): Buffer {
  const boundary = "arf-boundary-42";
  const head = [
    "From: Feedback Loop <fbl@mailbox.example>",
    "To: abuse@fleet.example",
    "Subject: Email Feedback Report",
    "Date: Mon, 7 Dec 2026 06:00:00 +0000",
    "Message-ID: <fbl-1@mailbox.example>",
    "MIME-Version: 1.0",
    `Content-Type: multipart/report; report-type=feedback-report; boundary="${boundary}"`,
    "",
    `--${boundary}`,
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "This is an email abuse report for an email message received from your network.",
    "",
    `--${boundary}`,
    "Content-Type: message/feedback-report",
    "",
    `Feedback-Type: ${feedbackType}`,
    "User-Agent: MailboxFBL/1.0",
    "Version: 1",
    "Reporting-MTA: dns; fbl.mailbox.example",
    "",
    `--${boundary}`,
    "Content-Type: message/rfc822",
    "Content-Disposition: inline",
    "",
    "",
  ].join("\r\n");
  return Buffer.concat([Buffer.from(head), original, Buffer.from(`\r\n--${boundary}--\r\n`)]);
}
