// Many messages over a few pooled SMTP connections (nodemailer, as bulk
// senders and spam kits use): swaks opens one connection per message, too
// slow for a spam wave of hundreds. Loopback only; the count is bounded.
import nodemailer from "nodemailer";

/** A wave of messages from one client address, optionally after AUTH. */
export interface Blast {
  host: string;
  port: number;
  /** Client address (a loopback 127.x.y.z). */
  localAddress: string;
  auth?: { user: string; pass: string };
  from: string;
  /** Recipients of message i (one message each). */
  recipients: (i: number) => string[];
  count: number;
  /** Parallel connections. */
  connections: number;
  subject?: string;
  /** Called after each message the server accepted. */
  onAccepted?: () => void;
}

/** Sends `count` messages; resolves with how many the server accepted (throws when none was). */
export async function blast(b: Blast): Promise<number> {
  const transport = nodemailer.createTransport({
    host: b.host,
    port: b.port,
    secure: false,
    ignoreTLS: true,
    localAddress: b.localAddress,
    pool: true,
    maxConnections: b.connections,
    maxMessages: Infinity,
    auth: b.auth,
    name: "bulk.example",
    connectionTimeout: 20_000,
    greetingTimeout: 20_000,
    socketTimeout: 60_000,
  });
  try {
    const results = await Promise.allSettled(
      Array.from({ length: b.count }, (_, i) =>
        transport.sendMail({ from: b.from, to: b.recipients(i), subject: b.subject ?? `Offer ${i}`, text: `Cheap offer number ${i}.\n` }).then(() => b.onAccepted?.()),
      ),
    );
    const accepted = results.filter((r) => r.status === "fulfilled").length;
    if (accepted === 0) {
      const reason = results.find((r): r is PromiseRejectedResult => r.status === "rejected")?.reason as Error | undefined;
      throw new Error(`no message of the blast from ${b.localAddress} was accepted: ${reason?.message ?? "?"}`);
    }
    return accepted;
  } finally {
    transport.close();
  }
}

/** One message on a connection of its own (as a mail client or a one-shot bot does), optionally after AUTH; throws unless the server accepted it. */
export async function sendOne(o: { host: string; port: number; localAddress: string; auth?: { user: string; pass: string }; from: string; to: readonly string[]; subject: string }): Promise<void> {
  const transport = nodemailer.createTransport({
    host: o.host,
    port: o.port,
    secure: false,
    ignoreTLS: true,
    localAddress: o.localAddress,
    auth: o.auth,
    name: "client.example",
    connectionTimeout: 20_000,
    greetingTimeout: 20_000,
    socketTimeout: 60_000,
  });
  try {
    await transport.sendMail({ from: o.from, to: [...o.to], subject: o.subject, text: "Hello,\nsee you soon.\n" });
  } catch (error) {
    throw new Error(`${o.localAddress} → ${o.to.join(",")}${o.auth ? ` as ${o.auth.user}` : ""}: ${(error as Error).message}`);
  } finally {
    transport.close();
  }
}

/** Runs send(0..count-1) with at most `workers` at a time, counting each one done. */
export async function inParallel(count: number, workers: number, counter: { add(): void }, send: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < count) {
        await send(next++);
        counter.add();
      }
    }),
  );
}
