import { parseLsofProcessPaths, parseLsofSockets } from "../../probe/collect/sockets/lsof-socket-source.js";
import { parseLsofFields } from "../../probe/collect/sockets/parse-lsof-fields.js";
import { parseLsofSocketName } from "../../probe/collect/sockets/parse-lsof-socket-name.js";
import { parseProcNetTcp } from "../../probe/collect/sockets/parse-proc-net-tcp.js";
import { parsePsArgs } from "../../probe/collect/sockets/parse-ps-args.js";
import type { FuzzRandom } from "./fuzz-random.js";
import { check, checkCount, checkNumberFromText, type FuzzSession, type FuzzTarget, type SessionSummary } from "./fuzz-target.js";
import type { FuzzSeeds } from "./load-seeds.js";
import { fuzzDocument, fuzzLine } from "./fuzz-inputs.js";

const SMTP_PORTS: ReadonlySet<number> = new Set([25, 465, 587, 38663, 44905]);

function checkPort(port: unknown, what: string): void {
  checkCount(port, what);
  check((port as number) <= 65535, () => `${what} ${String(port)} > 65535`);
}

function nonEmptyLines(text: string): number {
  return text.split("\n").filter((l) => l !== "").length;
}

/** A session that only counts: `feed` returns [units, recognised] for one input. */
function counting<I>(unit: string, feed: (input: I) => [number, number], notes?: () => string): FuzzSession<I> {
  let units = 0;
  let recognised = 0;
  return {
    feed(input) {
      const [u, r] = feed(input);
      units += u;
      recognised += r;
    },
    finish: (): SessionSummary => ({ unit, units, recognised, ...(notes === undefined ? {} : { notes: notes() }) }),
  };
}

/** /proc/net/tcp{,6} text, the proto to read it as, and the options. */
export interface ProcNetTcpInput {
  text: string;
  proto: "tcp" | "tcp6";
  byteOrder: "LE" | "BE";
  watchPorts: boolean;
}

function procInput(rng: FuzzRandom, seeds: FuzzSeeds): ProcNetTcpInput {
  const proto = rng.chance(0.5) ? "tcp" : "tcp6";
  const own = proto === "tcp" ? seeds.procNetTcp : seeds.procNetTcp6;
  const other = proto === "tcp" ? seeds.procNetTcp6 : seeds.procNetTcp;
  return { text: fuzzDocument(rng, rng.chance(0.85) ? own : other, other.flatMap((d) => d.split("\n"))), proto, byteOrder: rng.chance(0.8) ? "LE" : "BE", watchPorts: rng.chance(0.5) };
}

/** Targets of the socket parsers (/proc/net/tcp, lsof -F, lsof socket names, ps). */
export function socketTargets(seeds: FuzzSeeds): Array<FuzzTarget<ProcNetTcpInput> | FuzzTarget<string>> {
  const lsofLines = seeds.lsofFields.flatMap((d) => d.split("\n"));
  const proc: FuzzTarget<ProcNetTcpInput> = {
    name: "proc-net-tcp",
    timed: "document",
    weight: 0.5,
    generate: (rng) => procInput(rng, seeds),
    text: (input) => input.text,
    session: () =>
      counting("rows", ({ text, proto, byteOrder, watchPorts }) => {
        const { rows, skipped } = parseProcNetTcp(text, proto, { byteOrder, ...(watchPorts ? { ports: SMTP_PORTS } : {}) });
        checkCount(skipped, "skipped");
        check(rows.length + skipped <= nonEmptyLines(text), () => `${rows.length} rows + ${skipped} skipped from ${nonEmptyLines(text)} lines`);
        for (const r of rows) {
          checkPort(r.local_port, "local_port");
          checkPort(r.remote_port, "remote_port");
          check(r.proto === proto && typeof r.state === "string" && typeof r.local_address === "string" && typeof r.remote_address === "string", "row fields");
          check(/^\d+$/.test(r.inode), () => `inode ${r.inode} must be decimal`);
          checkNumberFromText(r.uid, "uid");
          if (watchPorts) check(SMTP_PORTS.has(r.local_port) || SMTP_PORTS.has(r.remote_port), "row of an unwatched port kept");
        }
        return [rows.length + skipped, rows.length];
      }),
  };
  const fields: FuzzTarget<string> = {
    name: "lsof-fields",
    timed: "document",
    weight: 0.5,
    generate: (rng) => fuzzDocument(rng, seeds.lsofFields, lsofLines),
    session: () =>
      counting("lines", (text) => {
        const { processes, skipped } = parseLsofFields(text);
        const lines = nonEmptyLines(text);
        checkCount(skipped, "skipped");
        check(skipped <= lines && processes.length <= lines, () => `${processes.length} processes, ${skipped} skipped from ${lines} lines`);
        for (const p of processes) {
          checkNumberFromText(p.pid, "pid");
          check(Array.isArray(p.files), "files must be an array");
        }
        return [lines, lines - skipped];
      }),
  };
  const names: FuzzTarget<string> = {
    name: "lsof-socket-name",
    timed: "line",
    weight: 1,
    generate: (rng) => fuzzLine(rng, seeds.lsofNames),
    session: () =>
      counting("names", (name) => {
        const r = parseLsofSocketName(name, name.length % 2 === 0 ? "IPv4" : "IPv6");
        if (r === null) return [1, 0];
        checkPort(r.local_port, "local_port");
        checkPort(r.remote_port, "remote_port");
        check(typeof r.local_address === "string" && typeof r.remote_address === "string", "addresses must be strings");
        return [1, 1];
      }),
  };
  const sockets: FuzzTarget<string> = {
    name: "lsof-sockets",
    timed: "document",
    weight: 0.5,
    generate: (rng) => fuzzDocument(rng, seeds.lsofFields, lsofLines),
    session: () => {
      let socketCount = 0;
      return counting(
        "inputs",
        (text) => {
          const list = parseLsofSockets(text, SMTP_PORTS);
          const inodes = new Set(list.map((s) => s.inode));
          check(inodes.size === list.length, "two sockets with one inode");
          for (const s of list) {
            checkPort(s.local_port, "local_port");
            checkPort(s.remote_port, "remote_port");
            check(SMTP_PORTS.has(s.local_port) || SMTP_PORTS.has(s.remote_port), "socket of an unwatched port kept");
          }
          socketCount += list.length;
          return [1, list.length > 0 ? 1 : 0];
        },
        () => `${socketCount} sockets`,
      );
    },
  };
  const paths: FuzzTarget<string> = {
    name: "lsof-process-paths",
    timed: "document",
    weight: 0.5,
    generate: (rng) => fuzzDocument(rng, seeds.lsofFields, lsofLines),
    session: () =>
      counting("pids", (text) => {
        const map = parseLsofProcessPaths(text);
        let known = 0;
        for (const [pid, p] of map) {
          checkNumberFromText(pid, "pid");
          check((p.exe === null || typeof p.exe === "string") && (p.cwd === null || typeof p.cwd === "string") && typeof p.exe_deleted === "boolean", "path fields");
          if (p.exe !== null || p.cwd !== null) known++;
        }
        return [map.size, known];
      }),
  };
  const ps: FuzzTarget<string> = {
    name: "ps-args",
    timed: "document",
    weight: 0.5,
    generate: (rng) => fuzzDocument(rng, seeds.psArgs, lsofLines),
    session: () =>
      counting("lines", (text) => {
        const map = parsePsArgs(text);
        const lines = text.split("\n").length;
        check(map.size <= lines, () => `${map.size} pids from ${lines} lines`);
        for (const [pid, argv] of map) {
          checkNumberFromText(pid, "pid");
          check(argv.every((a) => typeof a === "string" && a.length > 0 && !a.includes(" ")), "argv entries must be non-empty words");
        }
        return [nonEmptyLines(text), map.size];
      }),
  };
  return [proc, fields, names, sockets, paths, ps];
}
