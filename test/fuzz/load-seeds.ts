import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CAPTURED_LSOF_PATHS,
  CAPTURED_LSOF_SOCKETS,
  CAPTURED_PROC_NET_TCP,
  CAPTURED_PROC_NET_TCP6,
  CAPTURED_PS,
} from "../../probe/collect/sockets/captured-sockets.test-support.js";
import type { SeedPool } from "./fuzz-inputs.js";
import {
  LSOF_FIELD_SAMPLES,
  LSOF_NAME_SAMPLES,
  MTA_LINE_SAMPLES,
  PROC_NET_TCP6_SAMPLES,
  PROC_NET_TCP_SAMPLES,
  PS_SAMPLES,
} from "./synthetic-samples.js";

/** The project's root folder. */
export const REPO_ROOT = resolve(fileURLToPath(new URL("../../", import.meta.url)));
/** Public sample corpus beside the project, read in place (never copied); absent on some machines. */
export const CORPUS_DIR = resolve(REPO_ROOT, "../shared/corpus");

/** Queue listing documents per format. */
export interface QueueSeeds {
  postqueueJson: string[];
  postqueueText: string[];
  eximBp: string[];
  eximBpc: string[];
  sendmailMailq: string[];
  qmailQread: string[];
  qmailQstat: string[];
}

/** Everything the fuzz targets start from. */
export interface FuzzSeeds {
  /** True when the corpus was found and read. */
  corpus: boolean;
  /** Whole MTA log lines (syslog, Exim mainlog, multilog), one group per file. */
  mta: SeedPool;
  /** The same groups by the corpus folder (or fixture name) they came from: postfix, exim, sendmail, qmail, other-mta. */
  mtaByFamily: Record<string, SeedPool>;
  queue: QueueSeeds;
  /** Lines of every queue listing (qshape output too), for splicing one format into another. */
  queueLines: string[];
  procNetTcp: string[];
  procNetTcp6: string[];
  /** `lsof -F` documents. */
  lsofFields: string[];
  /** lsof socket names, one group per corpus file plus the synthetic ones. */
  lsofNames: SeedPool;
  /** `ps -o pid=,args=` documents. */
  psArgs: string[];
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    });
}

function linesOf(text: string): string[] {
  return text.split("\n").filter((l) => l.length > 0);
}

// The .msg corpus files hold the message part only; give them a syslog prefix with the program their name says.
function msgProgram(path: string): string {
  const stem = basename(path, ".msg");
  if (stem.startsWith("postfix_")) return `postfix/${stem.slice(8)}`;
  if (stem === "postgrey" || stem === "spamd" || stem === "policyd-spf") return stem;
  return `postfix/${stem.replace(/_/g, "-")}`;
}

const MTA_FAMILY_FOLDERS = ["postfix", "exim", "sendmail", "qmail", "other-mta"];

function mtaCorpusFiles(family: string): string[][] {
  return filesUnder(join(CORPUS_DIR, family)).map((path) => {
    const lines = linesOf(readFileSync(path, "utf8"));
    if (extname(path) !== ".msg") return lines;
    const prefix = `Nov 29 07:04:10 mail ${msgProgram(path)}[4242]: `;
    return lines.map((l) => prefix + l);
  });
}

function queueFiles(): Array<{ name: string; text: string }> {
  const files = [...filesUnder(join(CORPUS_DIR, "queue")), ...filesUnder(join(REPO_ROOT, "test/fixtures/queue"))];
  return files.filter((p) => !p.endsWith(".md")).map((p) => ({ name: basename(p), text: readFileSync(p, "utf8") }));
}

function queueSeeds(): QueueSeeds {
  const files = queueFiles();
  const named = (test: (name: string) => boolean): string[] => files.filter((f) => test(f.name)).map((f) => f.text);
  return {
    postqueueJson: named((n) => n.includes("postqueue-j")),
    postqueueText: named((n) => n.includes("postqueue-p") || n.includes("mailq-pymailq")),
    eximBp: named((n) => n.startsWith("exim-bp") && !n.startsWith("exim-bpc")),
    eximBpc: [...named((n) => n.startsWith("exim-bpc")), "0\n", "12\n", " 7 \n"],
    sendmailMailq: named((n) => n.startsWith("sendmail-mailq")),
    qmailQread: named((n) => n.startsWith("qmail-qread")),
    qmailQstat: named((n) => n.startsWith("qmail-qstat")),
  };
}

// Plain lsof output: the NAME column of TCP/UDP rows is a socket name like the `n` field.
function lsofCorpusNames(): string[][] {
  return filesUnder(join(CORPUS_DIR, "lsof")).map((path) =>
    linesOf(readFileSync(path, "utf8")).flatMap((line) => {
      const m = / (?:TCP|UDP) (.*)$/.exec(line);
      return m?.[1] === undefined ? [] : [m[1].trim()];
    }),
  );
}

// -F documents built from the corpus names, so the socket parser sees the corpus's addresses too.
function lsofFieldDocuments(names: readonly string[]): string[] {
  const docs: string[] = [];
  for (let i = 0; i < names.length; i += 8) {
    const files = names.slice(i, i + 8).flatMap((n, k) => [`f${k + 3}`, n.includes("[") ? "tIPv6" : "tIPv4", `d${30000 + i + k}`, "PTCP", `n${n.replace(/ \(.*\)$/, "")}`, `TST=${/\((\w+)\)$/.exec(n)?.[1] ?? "ESTABLISHED"}`]);
    docs.push([`p${1000 + i}`, "R1", "csmtpd", "u89", "Lpostfix", ...files, ""].join("\n"));
  }
  return docs;
}

/** Reads the corpus (when present), the project fixtures and the synthetic samples. */
export function loadSeeds(): FuzzSeeds {
  const corpus = existsSync(CORPUS_DIR);
  const byFamily: Record<string, string[][]> = {};
  for (const family of MTA_FAMILY_FOLDERS) byFamily[family] = corpus ? mtaCorpusFiles(family) : [];
  for (const path of filesUnder(join(REPO_ROOT, "test/fixtures/mta-logs"))) {
    const family = MTA_FAMILY_FOLDERS.find((f) => basename(path).startsWith(f)) ?? "other-mta";
    byFamily[family]?.push(linesOf(readFileSync(path, "utf8")));
  }
  const queue = queueSeeds();
  const corpusNames = corpus ? lsofCorpusNames() : [];
  return {
    corpus,
    mta: [...Object.values(byFamily).flat(), MTA_LINE_SAMPLES],
    mtaByFamily: byFamily,
    queue,
    queueLines: queueFiles().flatMap((f) => linesOf(f.text)),
    procNetTcp: [CAPTURED_PROC_NET_TCP, ...PROC_NET_TCP_SAMPLES],
    procNetTcp6: [CAPTURED_PROC_NET_TCP6, ...PROC_NET_TCP6_SAMPLES],
    lsofFields: [CAPTURED_LSOF_SOCKETS, CAPTURED_LSOF_PATHS, ...LSOF_FIELD_SAMPLES, ...lsofFieldDocuments(corpusNames.flat())],
    lsofNames: [LSOF_NAME_SAMPLES, ...corpusNames],
    psArgs: [CAPTURED_PS, ...PS_SAMPLES],
  };
}
