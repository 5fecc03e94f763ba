import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { inList } from "../store/clickhouse/sql.js";
import { tableName } from "../store/clickhouse/sql-literal.js";
import { sqlLiteral } from "../store/clickhouse/sql-literal.js";
import type { ClickHouseStore, Row } from "../store/clickhouse/store.js";

/** Decides which once-only actions this process performs. */
export interface Claims {
  /** The keys this process won; keys claimed in an earlier round are never won again. */
  claim(keys: readonly string[]): Promise<Set<string>>;
}

/**
 * Decides, among collectors sharing one ClickHouse, which one performs a
 * once-only action (send the "opened" notification of an incident, run the
 * scheduled relay check of an interval).
 *
 * Protocol: each contender inserts a row (claim_key, claimant) whose
 * `claimed_at` is the *server's* now() (so collector clocks do not matter),
 * waits `settleMs`, then reads every claim of the key; the winner is the
 * smallest (claimed_at, claimant). Everybody who reads after the settle sees
 * the same rows and so the same winner.
 *
 * Race window, honestly: a claim whose INSERT becomes visible to readers more
 * than `settleMs` after its own server timestamp can be missed by a
 * contender that already decided, and both act. On one server an INSERT is
 * visible when it returns (milliseconds), so this needs an INSERT stalled for
 * longer than settleMs between now() being evaluated and the part being
 * committed. With Distributed tables and asynchronous inserts, or replicas
 * lagging, settleMs must exceed the replication lag. claimed_at has second
 * precision; ties are broken by claimant, which is also consistent. A winner
 * that crashes between winning and acting loses the action (at-most-once).
 */
export class ClaimBoard implements Claims {
  /** This process's identity in claims: collector id plus a random suffix (two boards never share one). */
  readonly claimant: string;

  constructor(
    private readonly store: ClickHouseStore,
    collectorId: string,
    private readonly settleMs: number,
  ) {
    this.claimant = `${collectorId}/${randomUUID().slice(0, 8)}`;
  }

  /** Claims every key at once (one INSERT, one wait, one SELECT); returns the keys this board won. */
  async claim(keys: readonly string[]): Promise<Set<string>> {
    const table = tableName(this.store.database, "alert_claims");
    const asked = [...new Set(keys)];
    if (asked.length === 0) return new Set();
    const done = new Set(
      (await this.store.query<Row>(`SELECT DISTINCT claim_key FROM ${table} WHERE claim_key IN ${inList(asked)}`)).map((r) => String(r.claim_key)),
    );
    const unique = asked.filter((k) => !done.has(k));
    if (unique.length === 0) return new Set();
    const now = Date.now();
    await this.store.command(
      `INSERT INTO ${table} (claim_key, claimant, claimed_at, claimed_at_unix_ms) SELECT arrayJoin(${sqlLiteral(unique)}) AS claim_key, ${sqlLiteral(this.claimant)} AS claimant, now() AS claimed_at, toUInt64(${now}) AS claimed_at_unix_ms`,
    );
    if (this.settleMs > 0) await sleep(this.settleMs);
    const rows = await this.store.query<Row>(
      `SELECT claim_key, argMin(claimant, (claimed_at, claimant)) AS winner FROM ${table} WHERE claim_key IN ${inList(unique)} GROUP BY claim_key`,
    );
    return new Set(rows.filter((r) => String(r.winner) === this.claimant).map((r) => String(r.claim_key)));
  }
}
