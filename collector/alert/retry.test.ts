import { describe, expect, it } from "vitest";
import { PermanentSendError } from "./notification.js";
import { RateLimiter } from "./rate-limiter.js";
import { backoffDelay, withRetries } from "./retry.js";

const fast = { attempts: 4, initialDelayMs: 10, maxDelayMs: 40 };

describe("withRetries", () => {
  it("retries transient errors and reports the attempts", async () => {
    let calls = 0;
    const attempts = await withRetries(async () => {
      if (++calls < 3) throw new Error("ECONNREFUSED");
    }, fast);
    expect(attempts).toBe(3);
  });
  it("stops at a permanent error", async () => {
    let calls = 0;
    await expect(
      withRetries(async () => {
        calls++;
        throw new PermanentSendError("HTTP 400");
      }, fast),
    ).rejects.toMatchObject({ message: "HTTP 400", attempts: 1 });
    expect(calls).toBe(1);
  });
  it("gives up after the last attempt", async () => {
    await expect(withRetries(async () => Promise.reject(new Error("down")), fast)).rejects.toMatchObject({ message: "down", attempts: 4 });
  });
});

describe("backoffDelay", () => {
  it("doubles up to the maximum, with full jitter above the initial delay", () => {
    const policy = { attempts: 10, initialDelayMs: 1000, maxDelayMs: 5000 };
    expect(backoffDelay(policy, 1, () => 0)).toBe(1000);
    expect(backoffDelay(policy, 1, () => 1)).toBe(2000);
    expect(backoffDelay(policy, 2, () => 0.5)).toBe(2500);
    expect(backoffDelay(policy, 3, () => 0)).toBe(1000);
    expect(backoffDelay(policy, 8, () => 1)).toBe(5000);
  });
});

describe("RateLimiter", () => {
  it("lets a burst of perMinute through, then spaces the rest", () => {
    let now = 0;
    const limiter = new RateLimiter(3, () => now);
    expect([limiter.take(), limiter.take(), limiter.take()]).toEqual([0, 0, 0]);
    expect(limiter.take()).toBe(20_000);
    now = 20_000;
    expect(limiter.take()).toBe(20_000);
    now = 120_000;
    expect(limiter.take()).toBe(0);
  });
});
