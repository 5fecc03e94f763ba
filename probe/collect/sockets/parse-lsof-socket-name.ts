import { normalizeIpAddress } from "./format-ip-address.js";

/** Local and remote endpoints of an lsof Internet socket name. */
export interface LsofSocketEndpoints {
  /** Local IP address, canonical (see normalizeIpAddress); wildcard "*" becomes "0.0.0.0" or "::". */
  local_address: string;
  /** Local TCP port; 0 for "*". */
  local_port: number;
  /** Remote IP address; the family's wildcard address for a listener. */
  remote_address: string;
  /** Remote TCP port; 0 for a listener. */
  remote_port: number;
}

function parseEndpoint(text: string, wildcard: string): { address: string; port: number } | null {
  const colon = text.lastIndexOf(":");
  if (colon <= 0) return null;
  let host = text.slice(0, colon);
  const port = text.slice(colon + 1);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (host === "" || (port !== "*" && !/^\d+$/.test(port))) return null;
  const portNumber = port === "*" ? 0 : Number(port);
  if (portNumber > 65535) return null;
  return { address: host === "*" ? wildcard : normalizeIpAddress(host), port: portNumber };
}

/**
 * Parses the `n` field of an lsof TCP socket run with -n -P, e.g.
 * "127.0.0.1:25", "*:25", "[::1]:587", "10.0.0.1:40000->192.0.2.7:25".
 * family is lsof's `t` field ("IPv4"/"IPv6"): it picks the wildcard address.
 * Returns null when the name is not in that form.
 */
export function parseLsofSocketName(name: string, family: "IPv4" | "IPv6"): LsofSocketEndpoints | null {
  const wildcard = family === "IPv6" ? "::" : "0.0.0.0";
  // Plain (non -F) lsof output appends " (STATE)"; tolerate it. The lookbehind starts \s+ only at the
  // start of a whitespace run: tried inside every run, it made a long run of blanks quadratic.
  const bare = name.replace(/(?<!\s)\s+\([A-Z_0-9]+\)$/, "").trim();
  const arrow = bare.indexOf("->");
  const local = parseEndpoint(arrow < 0 ? bare : bare.slice(0, arrow), wildcard);
  const remote = arrow < 0 ? { address: wildcard, port: 0 } : parseEndpoint(bare.slice(arrow + 2), wildcard);
  if (local === null || remote === null) return null;
  return { local_address: local.address, local_port: local.port, remote_address: remote.address, remote_port: remote.port };
}
