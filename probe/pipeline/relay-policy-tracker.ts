import { create } from "@bufbuild/protobuf";
import { RelayConfigFindingSchema, RelayPolicySchema, type RelayPolicy as RelayPolicyMessage } from "../../shared/gen/spamtrace/v1/ingest_pb.js";
import type { Logger } from "../../shared/log/logger.js";
import { policyHash, RelayJudge, type RelayPolicy } from "../../shared/mta/relay/relay-policy.js";

/**
 * Holds the MTA's relay policy the probe runs with: the judge the window
 * aggregator counts relayed mail by, and what each batch says about it —
 * the whole policy in the first batch of a run and after a change, only its
 * hash otherwise (a shared host may serve thousands of domains).
 */
export class RelayPolicyTracker {
  private policy: RelayPolicy | null = null;
  private judge: RelayJudge | undefined;
  private hash = "";
  private readAtMs = 0;
  private fullPending = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly read: () => Promise<RelayPolicy | null>,
    private readonly logger: Logger,
  ) {}

  /** The judge of the current policy, undefined while none could be read. */
  readonly currentJudge = (): RelayJudge | undefined => this.judge;

  /** Reads the policy now; a changed hash makes the next batch carry the whole policy. */
  async refresh(nowMs = Date.now()): Promise<void> {
    let next: RelayPolicy | null;
    try {
      next = await this.read();
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, "reading the MTA relay policy failed");
      return;
    }
    if (next === null) return;
    const hash = policyHash(next);
    this.readAtMs = nowMs;
    if (hash === this.hash) return;
    this.policy = next;
    this.judge = new RelayJudge(next);
    this.hash = hash;
    this.fullPending = true;
    const level = next.findings.length > 0 ? "warn" : "info";
    this.logger[level](
      { hash, served_domains: next.servedDomains.length, permitted_networks: next.permittedNetworks, unreadable: next.unreadableSources, findings: next.findings },
      next.findings.length > 0 ? "MTA relay policy: the configuration makes an open relay" : "MTA relay policy",
    );
  }

  /** Re-reads every intervalMs (0: never); returns the stopper. */
  start(intervalMs: number): () => void {
    if (intervalMs > 0) this.timer = setInterval(() => void this.refresh(), intervalMs);
    return () => clearInterval(this.timer);
  }

  /** What the next batch carries: undefined before any policy was read. Full once per change. */
  take(): RelayPolicyMessage | undefined {
    if (this.policy === null) return undefined;
    const full = this.fullPending;
    this.fullPending = false;
    const p = this.policy;
    return create(RelayPolicySchema, {
      hash: this.hash,
      full,
      readAtUnixMs: BigInt(this.readAtMs),
      mta: p.mta,
      ...(full
        ? {
            servedDomains: p.servedDomains,
            permittedNetworks: p.permittedNetworks,
            unreadableSources: p.unreadableSources,
            sources: p.sources,
            findings: p.findings.map((f) => create(RelayConfigFindingSchema, f)),
          }
        : {}),
    });
  }

  /** A batch that carried the full policy was not spooled: send it again with the next one. */
  retakeFull(): void {
    if (this.policy !== null) this.fullPending = true;
  }
}
