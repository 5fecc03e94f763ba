// The longest string a collector takes in a batch by default, and the probe's
// side of it: every string of a batch is clipped to it before the batch is
// spooled. A collector rejects a whole batch with a longer string
// (invalid_argument), and the probe sends its batches in order: one process
// with a 6,000-character argument (a java -cp, a harness passing its
// environment as JSON) among a script's ancestors kept a Postfix host's every
// later batch out of ClickHouse until the probe clipped.

/** Characters per string on the wire (the collector's default limits.maxStringChars). */
export const WIRE_STRING_CHARS = 4096;

/** What replaces the cut part of a clipped string. */
export function clipMarker(cut: number): string {
  return `...[${cut} chars cut]`;
}

/** The string itself, or its head and a marker, together at most `max` characters. */
export function clipWireString(s: string, max = WIRE_STRING_CHARS): string {
  if (s.length <= max) return s;
  // The marker's own length depends on the count it prints: size it for the worst case.
  const room = max - clipMarker(s.length).length;
  return `${s.slice(0, Math.max(0, room))}${clipMarker(s.length - Math.max(0, room))}`;
}

/**
 * Clips, in place, every string field of a protobuf-es message and of the
 * messages, lists and oneofs inside it; returns how many were clipped.
 * Generic on purpose: a field added to Batch later is covered too.
 */
export function clipMessageStrings(message: object, max = WIRE_STRING_CHARS): number {
  let clipped = 0;
  const record = message as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key === "$typeName") continue;
    const value = record[key];
    if (typeof value === "string") {
      if (value.length > max) {
        record[key] = clipWireString(value, max);
        clipped++;
      }
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item === "string") {
          if (item.length > max) {
            value[i] = clipWireString(item, max);
            clipped++;
          }
        } else if (isNested(item)) clipped += clipMessageStrings(item, max);
      }
    } else if (isNested(value)) clipped += clipMessageStrings(value, max);
  }
  return clipped;
}

/** A message or a oneof's { case, value } (not bytes, not a bigint). */
function isNested(value: unknown): value is object {
  return typeof value === "object" && value !== null && !(value instanceof Uint8Array);
}
