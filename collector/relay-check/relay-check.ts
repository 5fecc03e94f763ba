import pLimit from "p-limit";
import type { RelayCheckConfig } from "./relay-check-config.js";
import { AllowedTargets, parseRelayTarget, systemResolver, type RelayTarget, type Resolver } from "./relay-target.js";
import { SmtpDialogue, type SmtpReply } from "./smtp-dialogue.js";

/** open: an outside recipient was accepted; closed: every one refused; error: the check could not decide. */
export type RelayVerdict = "open" | "closed" | "error";

/** One command and the server's answer. */
export interface TranscriptEntry {
  /** What was sent ("" for the greeting). */
  command: string;
  code: number;
  reply: string;
}

/** The outcome of checking one target. */
export interface RelayCheckResult {
  target: string;
  /** Address connected to. */
  address: string;
  port: number;
  verdict: RelayVerdict;
  /** Outside recipients the server accepted (RCPT TO answered 2xx). */
  acceptedRecipients: string[];
  /** The dialogue, in order. */
  transcript: TranscriptEntry[];
  /** Why the verdict is "error". */
  error?: string;
  checkedAtMs: number;
  durationMs: number;
}

/** A target outside relayCheck.allowedTargets. */
export class RelayCheckRefused extends Error {
  override name = "RelayCheckRefused";
}

/**
 * Checks one vetted address: greeting, EHLO (HELO if refused), MAIL FROM,
 * one RCPT TO per outside recipient, RSET, QUIT. DATA is never sent, so no
 * message can be relayed by the check itself. Open when any RCPT TO is
 * answered 2xx. A server that accepts RCPT and refuses only at DATA is
 * reported open: it accepts the envelope, which is what the check asks.
 */
export async function checkRelay(target: RelayTarget, address: string, config: RelayCheckConfig): Promise<RelayCheckResult> {
  const started = Date.now();
  const transcript: TranscriptEntry[] = [];
  const accepted: string[] = [];
  const result = (verdict: RelayVerdict, error?: string): RelayCheckResult => ({
    target: target.text,
    address,
    port: target.port,
    verdict,
    acceptedRecipients: accepted,
    transcript,
    ...(error === undefined ? {} : { error }),
    checkedAtMs: started,
    durationMs: Date.now() - started,
  });
  let smtp: SmtpDialogue | undefined;
  const note = (command: string, reply: SmtpReply): SmtpReply => {
    transcript.push({ command, code: reply.code, reply: reply.lines.join("\n") });
    return reply;
  };
  try {
    smtp = await SmtpDialogue.connect({ address, port: target.port, localAddress: config.localAddress, timeoutMs: config.timeoutMs });
    const greeting = note("", await smtp.reply());
    if (greeting.code !== 220) return result("error", `greeting ${greeting.code}: the server does not take mail from this client`);
    let hello = note(`EHLO ${config.heloName}`, await smtp.command(`EHLO ${config.heloName}`));
    if (hello.code >= 500) hello = note(`HELO ${config.heloName}`, await smtp.command(`HELO ${config.heloName}`));
    if (hello.code !== 250) return result("error", `EHLO/HELO refused (${hello.code})`);
    const from = note(`MAIL FROM:<${config.mailFrom}>`, await smtp.command(`MAIL FROM:<${config.mailFrom}>`));
    if (from.code !== 250) return result("error", `MAIL FROM refused (${from.code}): cannot tell whether it relays`);
    for (const rcpt of config.recipients) {
      const reply = note(`RCPT TO:<${rcpt}>`, await smtp.command(`RCPT TO:<${rcpt}>`));
      if (reply.code >= 200 && reply.code < 300) accepted.push(rcpt);
    }
    note("RSET", await smtp.command("RSET"));
    note("QUIT", await smtp.command("QUIT").catch(() => ({ code: 0, lines: ["(connection closed)"] })));
    return result(accepted.length > 0 ? "open" : "closed");
  } catch (error) {
    return result(accepted.length > 0 ? "open" : "error", (error as Error).message);
  } finally {
    smtp?.close();
  }
}

/**
 * Checks every target, at most `config.concurrency` at once. Every target is
 * parsed and vetted against relayCheck.allowedTargets first; if any is
 * outside the fleet, nothing is contacted and RelayCheckRefused names them.
 */
export async function runRelayChecks(targets: readonly string[], config: RelayCheckConfig, resolve: Resolver = systemResolver): Promise<RelayCheckResult[]> {
  if (targets.length === 0) throw new RangeError("no relay-check target given");
  const parsed = targets.map((t) => parseRelayTarget(t, config.port));
  const allowed = new AllowedTargets(config.allowedTargets);
  const vetted = await Promise.all(parsed.map(async (t) => ({ t, v: await allowed.vet(t, resolve) })));
  const refused = vetted.flatMap(({ v }) => ("refused" in v ? [v.refused] : []));
  if (refused.length > 0) throw new RelayCheckRefused(`refusing to check targets outside the fleet: ${refused.join("; ")}`);
  const limit = pLimit(config.concurrency);
  return Promise.all(vetted.map(({ t, v }) => limit(() => checkRelay(t, (v as { address: string }).address, config))));
}
