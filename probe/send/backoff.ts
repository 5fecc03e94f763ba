/** Reconnect delays: exponential with full jitter, so a fleet does not reconnect in lockstep after an outage. */
export function backoffDelayMs(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(minMs + random() * Math.max(0, ceiling - minMs));
}
