import { isAbsolute } from "node:path";
import type { CommandRunner } from "../run-command.js";
import type { MtaDetection } from "./mta-detection.js";
import { EXIM_BINARY_CANDIDATES } from "./read-exim-config.js";
import { POSTCONF_CANDIDATES, parsePostconfOutput } from "./read-postfix-config.js";

/** A host name as an MTA writes it into Received: (no expansion variables, no spaces). */
const HOST_NAME = /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/;

function keep(names: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const raw of names) {
    const name = raw.trim().toLowerCase().replace(/\.$/, "");
    if (HOST_NAME.test(name)) out.add(name);
  }
  return [...out].sort();
}

/**
 * Names of Postfix's listeners from `postconf -P` ("service/type/param =
 * value"): a master.cf service can override myhostname (`-o myhostname=…`).
 */
export function postfixListenerNames(postconfP: string): string[] {
  const names: string[] = [];
  for (const [key, value] of parsePostconfOutputWithSlashes(postconfP)) if (key.endsWith("/myhostname")) names.push(value);
  return names;
}

function parsePostconfOutputWithSlashes(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z0-9_./-]+) = (.*)$/.exec(line.trimEnd());
    if (m?.[1] !== undefined && m[2] !== undefined) out.push([m[1], m[2]]);
  }
  return out;
}

/**
 * The names the MTA puts into the Received: headers it writes, which often
 * differ from the system's hostname: Postfix `myhostname` (and per-listener
 * overrides in master.cf), Exim `primary_hostname` and a literal
 * `smtp_active_hostname`. `extra` (probe config `mta.names`) adds names that
 * cannot be read (a listener name set by a proxy). Never throws: a name that
 * cannot be read is simply absent.
 */
export async function readMtaNames(mta: Pick<MtaDetection, "kind" | "binaryPaths">, run: CommandRunner, extra: readonly string[] = [], timeoutMs = 10_000): Promise<string[]> {
  const found: string[] = [...extra];
  const tryRun = async (cmd: string, args: readonly string[]): Promise<string> => {
    try {
      const out = await run(cmd, args, { timeoutMs });
      return out.code === 0 ? out.stdout : "";
    } catch {
      return "";
    }
  };
  if (mta.kind === "postfix") {
    const postconf = mta.binaryPaths.find((p) => p.endsWith("/postconf")) ?? POSTCONF_CANDIDATES[0];
    found.push(parsePostconfOutput(await tryRun(postconf, ["myhostname"])).get("myhostname") ?? "");
    found.push(...postfixListenerNames(await tryRun(postconf, ["-P"])));
  } else if (mta.kind === "exim") {
    const exim = mta.binaryPaths.find((p) => /\/exim4?$/.test(p) && isAbsolute(p)) ?? EXIM_BINARY_CANDIDATES[0];
    const values = parsePostconfOutput(await tryRun(exim, ["-bP", "primary_hostname", "smtp_active_hostname"]));
    found.push(values.get("primary_hostname") ?? "", values.get("smtp_active_hostname") ?? "");
  }
  return keep(found);
}
