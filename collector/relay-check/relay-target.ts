import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { IpNetworks, isCidr } from "../vocabulary/ip-networks.js";

/** A target as given: host and port. */
export interface RelayTarget {
  /** As written (for reports). */
  text: string;
  /** Host name or IP address (IPv6 without brackets). */
  host: string;
  port: number;
}

/** Parses HOST, HOST:PORT, IPv4:PORT, [IPv6]:PORT or a bare IPv6 address; throws naming the value. */
export function parseRelayTarget(text: string, defaultPort: number): RelayTarget {
  let host = text;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket) {
    host = bracket[1]!;
    portText = bracket[2];
  } else if (isIP(text) === 6) {
    host = text;
  } else {
    const colon = text.lastIndexOf(":");
    if (colon >= 0) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    }
  }
  if (host.length === 0 || !/^[A-Za-z0-9.:_-]+$/.test(host)) throw new RangeError(`target ${JSON.stringify(text)} is not HOST[:PORT]`);
  const port = portText === undefined ? defaultPort : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`target ${JSON.stringify(text)} has a port outside 1..65535`);
  return { text, host, port };
}

/** Resolves a host name to its addresses (IP literals are returned as they are). */
export type Resolver = (host: string) => Promise<string[]>;

/** Resolves with the system resolver (all addresses). */
export const systemResolver: Resolver = async (host) => (isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address));

/** The fleet list of the relay check: names, domains (".example.net") and CIDR blocks. */
export class AllowedTargets {
  private readonly networks: IpNetworks;
  private readonly names: string[];

  constructor(entries: readonly string[]) {
    this.networks = new IpNetworks(entries.filter(isCidr));
    this.names = entries.filter((e) => !isCidr(e)).map((e) => e.toLowerCase());
  }

  private nameAllowed(host: string): boolean {
    const h = host.toLowerCase().replace(/\.$/, "");
    return this.names.some((n) => (n.startsWith(".") ? h.endsWith(n) : h === n));
  }

  /**
   * The address to connect to when the target is in the fleet, or a reason
   * it is refused. A name is allowed when listed itself, or when every
   * address it resolves to is inside an allowed network; the check then
   * connects to the address that was vetted (no second lookup to rebind).
   */
  async vet(target: RelayTarget, resolve: Resolver = systemResolver): Promise<{ address: string } | { refused: string }> {
    if (isIP(target.host)) {
      return this.networks.has(target.host) ? { address: target.host } : { refused: `${target.host} is not in relayCheck.allowedTargets` };
    }
    let addresses: string[];
    try {
      addresses = await resolve(target.host.toLowerCase().replace(/\.$/, ""));
    } catch (error) {
      return { refused: `${target.host} does not resolve: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
    }
    if (addresses.length === 0) return { refused: `${target.host} has no address` };
    if (this.nameAllowed(target.host)) return { address: addresses[0]! };
    const outside = addresses.filter((a) => !this.networks.has(a));
    return outside.length === 0
      ? { address: addresses[0]! }
      : { refused: `${target.host} resolves to ${outside.join(", ")}, not in relayCheck.allowedTargets` };
  }
}
