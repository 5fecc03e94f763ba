import net from "node:net";

/** One SMTP reply: code and text lines (a multi-line reply has several). */
export interface SmtpReply {
  code: number;
  lines: string[];
}

/** Longest reply line accepted (RFC 5321 4.5.3.1.5 says 512 octets; leave room for broken servers). */
const MAX_LINE = 4096;
/** Most lines in one reply (EHLO lists extensions; anything longer is hostile). */
const MAX_REPLY_LINES = 100;

/**
 * A minimal SMTP client for the relay check: sends one command at a time and
 * reads its reply. It implements nothing that could send a message: there is
 * no DATA method.
 */
export class SmtpDialogue {
  private buffer = "";
  private readonly lines: string[] = [];
  private waiter: ((line: string | Error) => void) | undefined;
  private failure: Error | undefined;

  private constructor(
    private readonly socket: net.Socket,
    private readonly timeoutMs: number,
  ) {
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => this.onData(chunk));
    socket.on("error", (error) => this.fail(error));
    socket.on("close", () => this.fail(new Error("connection closed by the server")));
  }

  /** Connects (optionally from `localAddress`) within `timeoutMs`. */
  static connect(opts: { address: string; port: number; localAddress?: string | undefined; timeoutMs: number }): Promise<SmtpDialogue> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: opts.address, port: opts.port, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${opts.address}:${opts.port} timed out after ${opts.timeoutMs} ms`));
      }, opts.timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve(new SmtpDialogue(socket, opts.timeoutMs));
      });
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(new Error(`connect to ${opts.address}:${opts.port}: ${error.message}`));
      });
    });
  }

  /** Reads the next reply (the greeting, or the answer to a command already sent). */
  async reply(): Promise<SmtpReply> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.nextLine();
      const m = /^(\d{3})([ -]?)(.*)$/.exec(line);
      if (!m) throw new Error(`not an SMTP reply: ${JSON.stringify(line.slice(0, 200))}`);
      lines.push(line);
      if (m[2] !== "-") return { code: Number(m[1]), lines };
      if (lines.length >= MAX_REPLY_LINES) throw new Error(`reply longer than ${MAX_REPLY_LINES} lines`);
    }
  }

  /** Sends one command line and reads its reply. */
  async command(line: string): Promise<SmtpReply> {
    if (/[\r\n]/.test(line)) throw new RangeError("an SMTP command cannot contain CR or LF");
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  /** Closes the connection. */
  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf("\n")) >= 0) {
      this.push(this.buffer.slice(0, nl).replace(/\r$/, ""));
      this.buffer = this.buffer.slice(nl + 1);
    }
    if (this.buffer.length > MAX_LINE) this.fail(new Error(`reply line longer than ${MAX_LINE} bytes`));
  }

  private push(line: string): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(line);
    } else this.lines.push(line);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(error);
    }
  }

  private nextLine(): Promise<string> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no reply within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiter = (value) => {
        clearTimeout(timer);
        if (value instanceof Error) reject(value);
        else resolve(value);
      };
    });
  }
}
