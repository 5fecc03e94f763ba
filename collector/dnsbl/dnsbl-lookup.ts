import { Resolver } from "node:dns/promises";
import { classifyAnswer } from "./classify-answer.js";
import type { DnsblConfig } from "./dnsbl-config.js";
import type { DnsblZoneInfo } from "./dnsbl-zones.js";
import { dnsblQueryName } from "./reverse-name.js";

/** The answer about one address on one zone. */
export interface DnsblAnswer {
  address: string;
  zone: string;
  /** listed: an A record in 127.0.0.0/8 that is a listing code; not_listed: NXDOMAIN / no A record; error: an error code (127.255.255.x...), a timeout or a DNS failure. */
  outcome: "listed" | "not_listed" | "error";
  /** A records of the answer (return codes). */
  codes: string[];
  /** What each code means (same order), or the error. */
  meanings: string[];
  /** TXT record of a listing (the list's reason / lookup URL), "" when none. */
  txt: string;
  /** Seconds the answer may be reused (the A record's TTL; negativeCacheSeconds for "not listed"; 0 for errors). */
  ttlSeconds: number;
  /** Whether it came from the cache. */
  fromCache: boolean;
  /** DNS error code (ETIMEOUT, ESERVFAIL, ECONNREFUSED...) or "" */
  error: string;
  durationMs: number;
  checkedAtMs: number;
}

/**
 * Asks DNSBL zones about addresses through the configured resolvers
 * (node:dns Resolver with setServers: no dependency), and keeps each answer
 * for its TTL so a scheduled check does not re-ask the list within it.
 * Errors are never cached: the next run asks again.
 */
export class DnsblLookup {
  readonly #resolver: Resolver;
  readonly #cache = new Map<string, { answer: DnsblAnswer; expiresMs: number }>();

  constructor(
    private readonly config: Pick<DnsblConfig, "servers" | "timeoutMs" | "tries" | "negativeCacheSeconds">,
    private readonly now: () => number = Date.now,
  ) {
    this.#resolver = new Resolver({ timeout: config.timeoutMs, tries: config.tries });
    if (config.servers.length > 0) this.#resolver.setServers(config.servers);
  }

  /** Stops queries in flight (they fail with ECANCELLED). */
  cancel(): void {
    this.#resolver.cancel();
  }

  /** The answer of `zone` about `address`, from the cache while its TTL lasts. */
  async check(address: string, zone: DnsblZoneInfo): Promise<DnsblAnswer> {
    const key = `${zone.zone} ${address}`;
    const started = this.now();
    const cached = this.#cache.get(key);
    if (cached && cached.expiresMs > started) return { ...cached.answer, fromCache: true };
    const answer = await this.#ask(address, zone, started);
    if (answer.outcome !== "error" && answer.ttlSeconds > 0) this.#cache.set(key, { answer, expiresMs: started + answer.ttlSeconds * 1000 });
    else this.#cache.delete(key);
    return answer;
  }

  async #ask(address: string, zone: DnsblZoneInfo, started: number): Promise<DnsblAnswer> {
    const name = dnsblQueryName(address, zone.zone);
    const base = { address, zone: zone.zone, txt: "", fromCache: false, checkedAtMs: started };
    let records: { address: string; ttl: number }[];
    try {
      records = await this.#resolver.resolve4(name, { ttl: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "";
      const durationMs = this.now() - started;
      // NXDOMAIN (ENOTFOUND) or a name without A records (ENODATA): not listed.
      if (code === "ENOTFOUND" || code === "ENODATA") return { ...base, outcome: "not_listed", codes: [], meanings: [], ttlSeconds: this.config.negativeCacheSeconds, error: "", durationMs };
      const meaning = code === "ETIMEOUT" ? `error: no answer from the resolver within ${this.config.timeoutMs} ms × ${this.config.tries} tries` : `error: ${(error as Error).message}`;
      return { ...base, outcome: "error", codes: [], meanings: [meaning], ttlSeconds: 0, error: code || "EUNKNOWN", durationMs };
    }
    const verdicts = records.map((r) => classifyAnswer(r.address, zone));
    const listed = verdicts.filter((v) => v.outcome === "listed");
    // An error code next to listing codes does not happen on the lists we know; the listing wins then.
    const shown = listed.length > 0 ? listed : verdicts;
    let txt = "";
    if (listed.length > 0) {
      try {
        txt = (await this.#resolver.resolveTxt(name)).map((parts) => parts.join("")).join(" | ");
      } catch {
        // The TXT record is a courtesy of some lists; its absence changes nothing.
      }
    }
    return {
      ...base,
      outcome: listed.length > 0 ? "listed" : "error",
      codes: shown.map((v) => v.code),
      meanings: shown.map((v) => v.meaning),
      txt,
      ttlSeconds: listed.length > 0 ? Math.min(...records.map((r) => r.ttl)) : 0,
      error: listed.length > 0 ? "" : "ERROR_CODE",
      durationMs: this.now() - started,
    };
  }
}
