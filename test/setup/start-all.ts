/** Something a setup started and must stop. */
export interface Stoppable {
  stop(): Promise<void>;
}

type Started<T extends readonly Promise<Stoppable>[]> = { -readonly [K in keyof T]: Awaited<T[K]> };

/**
 * Awaits servers started side by side. When any of them fails to start, the
 * others are stopped before the error is thrown: a failed setup must leave
 * nothing running (a half-started run once left a clickhouse-server behind).
 */
export async function startAll<T extends readonly Promise<Stoppable>[]>(starts: T): Promise<Started<T>> {
  const results = await Promise.allSettled(starts);
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failures.length === 0) return results.map((r) => (r as PromiseFulfilledResult<Stoppable>).value) as Started<T>;
  const stops = results.flatMap((r) => (r.status === "fulfilled" ? [r.value.stop()] : []));
  await Promise.allSettled(stops);
  if (failures.length === 1) throw failures[0]!.reason;
  throw new AggregateError(failures.map((f) => f.reason), `${failures.length} of ${results.length} setups failed to start`);
}
