import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createGunzip } from "node:zlib";

/** True when the file starts with the gzip magic bytes 1f 8b (rotated logs: `mail.log.2.gz`). */
export async function isGzipFile(path: string): Promise<boolean> {
  const handle = await open(path, "r");
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await handle.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/**
 * Streams a plain or gzip log file and calls `onLine` for every line (without
 * `\n` / `\r\n`; a last line without newline included). Chunks are cut at
 * their last newline before decoding (a newline never sits inside a UTF-8
 * sequence), then split by hand with indexOf: several times faster than
 * node:readline on million-line logs. Invalid UTF-8 becomes U+FFFD.
 */
export async function readLogLines(path: string, onLine: (line: string) => void): Promise<void> {
  const gzip = await isGzipFile(path);
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  const stream = gzip ? file.pipe(createGunzip({ chunkSize: 1 << 20 })) : file;
  if (gzip) file.on("error", (e) => stream.destroy(e));
  let pending: Buffer | null = null;
  const split = (text: string): void => {
    let start = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      onLine(text.slice(start, end));
      start = nl + 1;
    }
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const buf: Buffer = pending === null ? chunk : Buffer.concat([pending, chunk]);
    const last = buf.lastIndexOf(10);
    if (last < 0) {
      pending = buf;
      continue;
    }
    split(buf.toString("utf8", 0, last + 1));
    pending = last + 1 < buf.length ? buf.subarray(last + 1) : null;
  }
  if (pending !== null && pending.length > 0) split(`${pending.toString("utf8")}\n`);
}
