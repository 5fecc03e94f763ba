import { createHash } from "node:crypto";

/** Bytes at the start of a log file that identify it: its first lines carry timestamps no other file shares. */
export const HEAD_BYTES = 256;

/** Fingerprint of a file's first bytes. */
export interface FileHead {
  /** How many bytes were hashed (less than HEAD_BYTES for a file that was shorter). */
  length: number;
  /** SHA-256 of those bytes, hex. */
  sha256: string;
}

/** The head of a file from its first bytes (at most HEAD_BYTES are used). */
export function headOf(firstBytes: Buffer): FileHead {
  const bytes = firstBytes.subarray(0, HEAD_BYTES);
  return { length: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
}

/**
 * True when a file starting with firstBytes is the file `head` was taken
 * from: its first head.length bytes hash the same. A head of length 0 (an
 * empty file) identifies nothing and never matches.
 */
export function headMatches(head: FileHead, firstBytes: Buffer): boolean {
  if (head.length === 0 || firstBytes.length < head.length) return false;
  return createHash("sha256").update(firstBytes.subarray(0, head.length)).digest("hex") === head.sha256;
}
