/**
 * Sign-in rate limiting: a fixed budget of failed attempts per (email) and per (client address) within a
 * window; over it, sign-in is refused with 429 until the window passes. In memory: per process.
 */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();
  constructor(private readonly max = 5, private readonly windowMs = 60_000, private readonly now: () => number = Date.now) {}

  blocked(key: string): number | null {
    const recent = this.recent(key);
    if (recent.length < this.max) return null;
    return recent[0]! + this.windowMs - this.now();
  }

  fail(key: string) {
    const recent = this.recent(key);
    recent.push(this.now());
    this.failures.set(key, recent);
  }

  reset(key: string) {
    this.failures.delete(key);
  }

  private recent(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    return (this.failures.get(key) ?? []).filter((t) => t > cutoff);
  }
}
