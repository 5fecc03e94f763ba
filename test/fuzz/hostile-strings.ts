/*
 * What the mutations insert: the delimiters and tokens of the parsed formats,
 * characters that regular expressions and string handling trip over
 * (whitespace, control characters, lone surrogates, astral characters), and
 * numbers that do not fit.
 */

/** Characters that delimit fields in the formats we parse; cuts and insertions favour them. */
export const DELIMITERS = new Set([..." \t:=<>[](),;\"'@/#*!-."]);

/** Single characters repeated into runs: structure, whitespace, control, and odd Unicode (NBSP, LS, BOM, lone surrogate, astral). */
export const HOSTILE_CHARS = [
  "a", " ", "<", ">", "[", "]", "(", ")", "=", ":", ",", ";", '"', "\\", "\t", "\0", "\r", "\n", "0", "9", "-", "@", ".", "/", "*", "#", "!", "{", "%",
  "é", "\u00a0", "\u2028", "\ufeff", "\ud800", "\udfff", "\u202e", "😀",
];

/** Tokens of the parsed formats (and of JavaScript pitfalls) repeated into runs. */
export const HOSTILE_TOKENS = [
  "<>", "[]", "()", "<<", "[[", "((", "==", " from ", "; from=<", " to=<", ", status=", ", relay=", "H=(", "H=", " rejected ", " for ", " authenticator failed for ",
  "\\x", "\\\\", "\\x4", " (stat: ", " (readlink: ", "(auth failed, ", "user=<", "rip=", "ip=[", "::ffff:", "IPv6:", "->", ":*", "*:", "> ", " >", "\t\t",
  "__proto__", "constructor", "toString", "hasOwnProperty", "NaN", "-1", "99999999999999999999", "1e309", "%s%n", "${x}", "{x:String}", "\u0000", "'; --",
  "sasl_username=", "message-id=<", "client=", "A=", "U=", "cwd=", "args: ", "ruleset=", "reject=", "stat=", "result=", "command=\"", "rcpt\t", "done\t", "GMT  #",
];

/** Number-like replacements for digit runs. */
export const HOSTILE_NUMBERS = ["", "0", "00", "-1", "+1", "1.5", "NaN", "Infinity", "4294967296", "65536", "99999999999999999999", "9".repeat(400), "0x1F", "1e3", "٣"];
