/**
 * A token bucket: `perMinute` tokens, refilled continuously. take() answers
 * how long to wait (0 = go now) and consumes the token it reserved.
 */
export class RateLimiter {
  private tokens: number;
  private lastMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = perMinute;
    this.lastMs = now();
  }

  /** Reserves one token; returns ms to wait before using it. */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.perMinute, this.tokens + ((now - this.lastMs) * this.perMinute) / 60_000);
    this.lastMs = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 60_000) / this.perMinute);
  }
}
