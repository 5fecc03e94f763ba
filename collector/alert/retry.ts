import { setTimeout as sleep } from "node:timers/promises";
import { backoffDelayMs } from "../../shared/retry/backoff-delay.js";
import { PermanentSendError } from "./notification.js";

/** How often and how patiently to retry. */
export interface RetryPolicy {
  /** Attempts, the first included. */
  attempts: number;
  /** Shortest delay between attempts, ms; the jitter's ceiling starts at twice this and doubles each retry. */
  initialDelayMs: number;
  /** Longest delay, ms. */
  maxDelayMs: number;
}

/** Delay before retry number `retry` (1-based): the shared exponential backoff with full jitter (backoffDelayMs), so failing collectors do not retry in step. */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  return backoffDelayMs(retry, policy.initialDelayMs, policy.maxDelayMs, random);
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
