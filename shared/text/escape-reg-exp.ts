/** `text` with the characters a regular expression gives a meaning to escaped, so `new RegExp(escapeRegExp(s))` matches `s` literally. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
