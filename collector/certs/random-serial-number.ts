import { randomBytes } from "node:crypto";

/** A random positive 128-bit certificate serial number as hex (RFC 5280 §4.1.2.2: at most 20 octets, positive). */
export function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  // DER INTEGER is signed: clear the top bit so the serial stays positive, and
  // keep the first octet non-zero so the encoding is exactly 16 octets.
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString("hex");
}
