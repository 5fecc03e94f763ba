import { describe, expect, it } from "vitest";
import { CAPTURED_LSOF_PATHS } from "./captured-sockets.test-support.js";
import { decodeLsofEscapes, parseLsofFields, type ParsedLsofFields } from "./parse-lsof-fields.js";

describe("decodeLsofEscapes", () => {
  it.each([
    { name: "plain", input: "/var/www/html", output: "/var/www/html" },
    // Captured: lsof -F printed cwd "/tmp/a\tb" (a literal backslash) as "/tmp/a\\tb" and a TAB as "\t".
    { name: "escaped backslash", input: "/tmp/a\\\\tb", output: "/tmp/a\\tb" },
    { name: "tab", input: "/tmp/x\\ty", output: "/tmp/x\ty" },
    { name: "newline and carriage return", input: "a\\nb\\rc", output: "a\nb\rc" },
    { name: "hex bytes re-decoded as UTF-8", input: "/home/andr\\xc3\\xa9/mail", output: "/home/andré/mail" },
    { name: "raw UTF-8 is kept", input: "/tmp/é x", output: "/tmp/é x" },
    { name: "caret form is ambiguous and kept", input: "/tmp/y^A", output: "/tmp/y^A" },
    { name: "unknown escape is kept", input: "a\\qb\\", output: "a\\qb\\" },
  ])("$name", ({ input, output }) => {
    expect(decodeLsofEscapes(input)).toBe(output);
  });
});

describe("parseLsofFields", () => {
  it.each<{ name: string; input: string; output: ParsedLsofFields }>([
    {
      name: "captured cwd/txt output",
      input: CAPTURED_LSOF_PATHS,
      output: {
        skipped: 0,
        processes: [
          { pid: 7204, fields: {}, files: [{ fd: "cwd", fields: { n: "/tmp/cap" }, tcp: {} }, { fd: "txt", fields: { n: "/usr/bin/node" }, tcp: {} }] },
          { pid: 7213, fields: {}, files: [{ fd: "cwd", fields: { n: "/tmp" }, tcp: {} }, { fd: "txt", fields: { n: "/tmp/cap/mailer (deleted)" }, tcp: {} }] },
        ],
      },
    },
    {
      name: "process fields, a socket with TCP info, escaped name",
      input: "p4509\nR4495\ncba sh\nu0\nLroot\nf3\ntIPv4\nd10324\nPTCP\nn127.0.0.1:56136->127.0.0.1:25\nTST=ESTABLISHED\nTQR=0\nTQS=0\nfcwd\nn/tmp/a\\\\tb\n",
      output: {
        skipped: 0,
        processes: [
          {
            pid: 4509,
            fields: { R: "4495", c: "ba sh", u: "0", L: "root" },
            files: [
              { fd: "3", fields: { t: "IPv4", d: "10324", P: "TCP", n: "127.0.0.1:56136->127.0.0.1:25" }, tcp: { ST: "ESTABLISHED", QR: "0", QS: "0" } },
              { fd: "cwd", fields: { n: "/tmp/a\\tb" }, tcp: {} },
            ],
          },
        ],
      },
    },
    {
      name: "lines before the first p, a bad pid and its fields, T without '=' are skipped",
      input: "f3\nn/x\npabc\ncfoo\np12\nf4\nTBOGUS\n\n",
      output: { skipped: 5, processes: [{ pid: 12, fields: {}, files: [{ fd: "4", fields: {}, tcp: {} }] }] },
    },
    { name: "empty output (lsof matched nothing)", input: "", output: { skipped: 0, processes: [] } },
  ])("$name", ({ input, output }) => {
    expect(parseLsofFields(input)).toEqual(output);
  });
});
