import { createReadStream } from "node:fs";
import { open, stat, type FileHandle } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import { HEAD_BYTES } from "./file-head.js";

/** A log file opened for reading by position, plain or gzip-compressed. */
export interface LogSource {
  /** Path it was opened by (it may have been renamed since). */
  readonly path: string;
  /** True when read through gzip (positions count decompressed bytes). */
  readonly compressed: boolean;
  /** Device number, decimal. */
  readonly dev: string;
  /** Inode number, decimal. */
  readonly ino: string;
  /** Birth time in ns, decimal ("0" where the filesystem does not record it): tells a reused inode number apart. */
  readonly birth: string;
  /** Up to maxBytes from position; fewer (maybe none) at the end. The buffer is the caller's. */
  read(position: number, maxBytes: number): Promise<Buffer>;
  /** The first HEAD_BYTES bytes (fewer for a shorter file), as they are now. */
  head(): Promise<Buffer>;
  /** Current size in bytes; null when unknown without reading it all (gzip). */
  size(): Promise<number | null>;
  /** Last modification time, ms since the Unix epoch (works on a file deleted since it was opened). */
  mtimeMs(): Promise<number>;
  /** Releases the file. */
  close(): Promise<void>;
}

/**
 * A plain file read through one open descriptor: after a rename rotation the
 * descriptor still reads the old file, so its last lines are not lost.
 */
export class PlainLogSource implements LogSource {
  readonly compressed = false;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly dev: string,
    readonly ino: string,
    readonly birth: string,
  ) {}

  /** Opens path; rejects (ENOENT, EACCES) like fs.open. */
  static async open(path: string): Promise<PlainLogSource> {
    const handle = await open(path, "r");
    try {
      const info = await handle.stat({ bigint: true });
      return new PlainLogSource(path, handle, info.dev.toString(), info.ino.toString(), info.birthtimeNs.toString());
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async read(position: number, maxBytes: number): Promise<Buffer> {
    const size = (await this.handle.stat()).size;
    const length = Math.max(0, Math.min(maxBytes, size - position));
    if (length === 0) return Buffer.alloc(0);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await this.handle.read(buffer, 0, length, position);
    return buffer.subarray(0, bytesRead);
  }

  async head(): Promise<Buffer> {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await this.handle.read(buffer, 0, HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  async mtimeMs(): Promise<number> {
    return (await this.handle.stat()).mtimeMs;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/**
 * A gzip-compressed rotated file (mail.log.2.gz) read as a stream: positions
 * must mostly move forward (a read before the buffered window restarts the
 * decompression), and memory stays within one read's size plus one chunk.
 * A corrupt or truncated stream ends where the damage starts.
 */
export class GzipLogSource implements LogSource {
  readonly compressed = true;
  private chunks: AsyncIterator<Buffer> | null = null;
  private destroy: (() => void) | null = null;
  private buffered: Buffer = Buffer.alloc(0);
  private bufferedStart = 0;
  private ended = false;
  private cachedHead: Buffer | null = null;
  /** Set when decompression failed; the text of the error. */
  damage: string | null = null;

  private constructor(
    readonly path: string,
    readonly dev: string,
    readonly ino: string,
    readonly birth: string,
    private readonly mtime: number,
  ) {}

  /** Opens path (checks it exists; decompression starts on the first read). */
  static async open(path: string): Promise<GzipLogSource> {
    const info = await stat(path, { bigint: true });
    return new GzipLogSource(path, info.dev.toString(), info.ino.toString(), info.birthtimeNs.toString(), Number(info.mtimeMs));
  }

  private restart(): void {
    this.destroy?.();
    const file = createReadStream(this.path);
    const gunzip = createGunzip();
    file.on("error", (error) => gunzip.destroy(error));
    file.pipe(gunzip);
    this.chunks = gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    this.destroy = () => {
      file.destroy();
      gunzip.destroy();
    };
    this.buffered = Buffer.alloc(0);
    this.bufferedStart = 0;
    this.ended = false;
  }

  private async pull(): Promise<void> {
    if (this.chunks === null) this.restart();
    try {
      const next = await (this.chunks as AsyncIterator<Buffer>).next();
      if (next.done === true) {
        this.ended = true;
        return;
      }
      const chunk = next.value;
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    } catch (error) {
      this.damage = (error as Error).message;
      this.ended = true;
    }
  }

  async read(position: number, maxBytes: number): Promise<Buffer> {
    if (this.chunks === null || position < this.bufferedStart) this.restart();
    for (;;) {
      // Drop what lies before position so skipping a large offset holds at most one chunk.
      const drop = Math.min(this.buffered.length, position - this.bufferedStart);
      if (drop > 0) {
        this.buffered = this.buffered.subarray(drop);
        this.bufferedStart += drop;
      }
      if (this.ended || this.bufferedStart + this.buffered.length >= position + maxBytes) break;
      await this.pull();
    }
    const from = position - this.bufferedStart;
    return Buffer.from(this.buffered.subarray(from, from + maxBytes));
  }

  async head(): Promise<Buffer> {
    // A rotated file never changes, so one look at its head is enough.
    this.cachedHead ??= await readGzipHead(this.path);
    return this.cachedHead;
  }

  async size(): Promise<null> {
    return null;
  }

  async mtimeMs(): Promise<number> {
    return this.mtime;
  }

  async close(): Promise<void> {
    this.destroy?.();
    this.destroy = null;
    this.chunks = null;
  }
}

/** The first HEAD_BYTES decompressed bytes of a gzip file (fewer if it is shorter or damaged); empty when unreadable. */
export async function readGzipHead(path: string): Promise<Buffer> {
  const file = createReadStream(path);
  const gunzip = createGunzip();
  file.on("error", (error) => gunzip.destroy(error));
  file.pipe(gunzip);
  const parts: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      parts.push(chunk);
      length += chunk.length;
      if (length >= HEAD_BYTES) break;
    }
  } catch {
    // A damaged file identifies itself by whatever decompressed before the damage.
  } finally {
    file.destroy();
    gunzip.destroy();
  }
  return Buffer.concat(parts).subarray(0, HEAD_BYTES);
}
