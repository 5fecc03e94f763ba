// A password-guessing bot: one SMTP connection, AUTH PLAIN tried again and
// again after each refusal (as brute-force kits do; swaks would start a
// process and a connection per guess), reconnecting when the server hangs
// up. Loopback only; bounded by the list of guesses.
import { Socket } from "node:net";

/** One guess. */
export interface Guess {
  user: string;
  password: string;
}

/** Where the bot connects from and to. */
export interface GuessTarget {
  host: string;
  port: number;
  localAddress: string;
}

/** Reads SMTP replies (multi-line aware) from a socket. */
class ReplyReader {
  private buffer = "";
  private lines: string[] = [];
  private waiting: ((line: string | null) => void) | undefined;
  private closed = false;

  constructor(socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.buffer += chunk;
      let at: number;
      while ((at = this.buffer.indexOf("\n")) >= 0) {
        this.lines.push(this.buffer.slice(0, at).replace(/\r$/, ""));
        this.buffer = this.buffer.slice(at + 1);
      }
      this.wake();
    });
    const end = (): void => {
      this.closed = true;
      this.wake();
    };
    socket.on("close", end);
    socket.on("error", end);
  }

  private wake(): void {
    const w = this.waiting;
    if (!w) return;
    if (this.lines.length > 0) {
      this.waiting = undefined;
      w(this.lines.shift()!);
    } else if (this.closed) {
      this.waiting = undefined;
      w(null);
    }
  }

  private line(): Promise<string | null> {
    if (this.lines.length > 0) return Promise.resolve(this.lines.shift()!);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  /** The reply code of the next complete reply; null when the server hung up. */
  async reply(): Promise<number | null> {
    for (;;) {
      const line = await this.line();
      if (line === null) return null;
      if (/^\d{3} /.test(line) || /^\d{3}$/.test(line)) return Number(line.slice(0, 3));
    }
  }
}

async function connect(t: GuessTarget): Promise<{ socket: Socket; replies: ReplyReader }> {
  const socket = new Socket();
  const replies = new ReplyReader(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.connect({ host: t.host, port: t.port, localAddress: t.localAddress }, () => {
      socket.off("error", reject);
      resolve();
    });
  });
  socket.setTimeout(60_000, () => socket.destroy(new Error("SMTP timeout")));
  if ((await replies.reply()) !== 220) throw new Error(`no SMTP banner from ${t.host}:${t.port}`);
  socket.write("EHLO bot.example\r\n");
  if ((await replies.reply()) !== 250) throw new Error(`EHLO refused by ${t.host}:${t.port}`);
  return { socket, replies };
}

/**
 * Tries the guesses over `threads` connections at once (guess i on thread i
 * mod threads), as brute-force kits do; returns the summed outcome.
 */
export async function guessPasswordsThreaded(t: GuessTarget, guesses: readonly Guess[], threads: number, onRefused?: () => void): Promise<{ refused: number; accepted: number }> {
  const shares = Array.from({ length: threads }, (_, k) => guesses.filter((_, i) => i % threads === k));
  const outcomes = await Promise.all(shares.filter((g) => g.length > 0).map((g) => guessPasswords(t, g, onRefused)));
  return outcomes.reduce((sum, o) => ({ refused: sum.refused + o.refused, accepted: sum.accepted + o.accepted }), { refused: 0, accepted: 0 });
}

/**
 * Tries every guess in order over one connection; returns how many the server refused (535, or
 * 454 when its SASL server took too long: Postfix gives up on a Dovecot that
 * is delaying a penalised client) and accepted (235). Throws on any other outcome.
 */
export async function guessPasswords(t: GuessTarget, guesses: readonly Guess[], onRefused?: () => void): Promise<{ refused: number; accepted: number }> {
  let refused = 0;
  let accepted = 0;
  let session: Awaited<ReturnType<typeof connect>> | undefined;
  try {
    for (const g of guesses) {
      for (let attempt = 0; ; attempt++) {
        session ??= await connect(t);
        session.socket.write(`AUTH PLAIN ${Buffer.from(`\0${g.user}\0${g.password}`).toString("base64")}\r\n`);
        const code = await session.replies.reply();
        if (code === 535 || code === 454) {
          refused++;
          onRefused?.();
          break;
        }
        if (code === 235) {
          accepted++;
          // A logged-in session cannot AUTH again: start a new one for the next guess.
          session.socket.end("QUIT\r\n");
          session = undefined;
          break;
        }
        // The server hung up (error limits) or refused the command: one new connection per guess, then give up.
        session.socket.destroy();
        session = undefined;
        if (attempt >= 1) throw new Error(`AUTH as ${g.user} got ${code ?? "a hang-up"} from ${t.host}:${t.port}`);
      }
    }
  } finally {
    session?.socket.end("QUIT\r\n");
  }
  return { refused, accepted };
}
