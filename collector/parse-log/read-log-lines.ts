import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";
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
 * `\n` / `\r\n`; a last line without newline included). Splits chunks by hand
 * with indexOf: several times faster than node:readline on million-line logs.
 * Invalid UTF-8 becomes U+FFFD rather than an error.
 */
export async function readLogLines(path: string, onLine: (line: string) => void): Promise<void> {
  const gzip = await isGzipFile(path);
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  const stream = gzip ? file.pipe(createGunzip()) : file;
  if (gzip) file.on("error", (e) => stream.destroy(e));
  const decoder = new StringDecoder("utf8");
  let carry = "";
  const emit = (text: string): void => {
    let start = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      onLine(text.slice(start, end));
      start = nl + 1;
    }
    carry = text.slice(start);
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const text = decoder.write(chunk);
    emit(carry.length > 0 ? carry + text : text);
  }
  const tail = carry + decoder.end();
  if (tail.length > 0) {
    carry = "";
    emit(`${tail}\n`);
  }
}
