import { open } from "node:fs/promises";

const CHUNK_BYTES = 64 * 1024;

/**
 * Reads a whole /proc file as text. /proc files report size 0 and the kernel
 * returns them in short reads (one page of /proc/net/tcp at a time); Node
 * 18's fs.promises.readFile stops after the first short read (measured: 4,050
 * of 27,300 bytes of /proc/net/tcp, so a busy host's sockets silently went
 * missing), Node 20's does not. This loops until read() returns 0 on both.
 */
export async function readProcText(path: string): Promise<string> {
  const handle = await open(path, "r");
  try {
    const chunks: Buffer[] = [];
    for (;;) {
      const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks).toString("utf8");
  } finally {
    await handle.close();
  }
}
