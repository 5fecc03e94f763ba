/**
 * Delay before retry number `retry` (1 for the first retry; 0 gives the
 * floor): exponential with full jitter above a floor, uniformly random in
 * [minMs, min(maxMs, minMs × 2^retry)]. The one formula for every retry loop
 * (the probe's reconnects, the alert sinks' retries).
 *
 * Why full jitter: the retries this paces come in herds (a fleet of probes
 * losing the same collector, several collectors failing the same webhook);
 * drawing from the whole range spreads a herd the most, where equal jitter
 * (the upper half only) keeps half of it bunched. Why a floor: a draw near 0
 * would retry at once, hammering a service that just failed.
 */
export function backoffDelayMs(retry: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(retry, 30));
  return Math.round(minMs + random() * Math.max(0, ceiling - minMs));
}
