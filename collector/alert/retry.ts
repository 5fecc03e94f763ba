import { setTimeout as sleep } from "node:timers/promises";
import { PermanentSendError } from "./notification.js";

/** How often and how patiently to retry. */
export interface RetryPolicy {
  /** Attempts, the first included. */
  attempts: number;
  /** Delay before the first retry, ms (doubles each time). */
  initialDelayMs: number;
  /** Longest delay, ms. */
  maxDelayMs: number;
}

/** Delay before retry number `retry` (1-based): exponential with "full jitter" so failing collectors do not retry in step. */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Runs `fn` until it succeeds, throws PermanentSendError, or attempts run out; returns the attempts made. */
export async function withRetries(
  fn: () => Promise<void>,
  policy: RetryPolicy,
  opts: { signal?: AbortSignal; onRetry?: (attempt: number, error: unknown, delayMs: number) => void } = {},
): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      await fn();
      return attempt;
    } catch (error) {
      if (error instanceof PermanentSendError || attempt >= policy.attempts || opts.signal?.aborted) {
        throw Object.assign(error instanceof Error ? error : new Error(String(error)), { attempts: attempt });
      }
      const delay = backoffDelay(policy, attempt);
      opts.onRetry?.(attempt, error, delay);
      try {
        await sleep(delay, undefined, opts.signal ? { signal: opts.signal } : {});
      } catch {
        throw Object.assign(error instanceof Error ? error : new Error(String(error)), { attempts: attempt });
      }
    }
  }
}
