// Counts failed authentications per client address in a fixed window; past the limit, every
// further attempt from that address is refused with 429 until the window ends, valid key or not,
// so a key cannot be guessed by brute force. In memory, per instance: it must keep working when
// Redis is down, and N instances allow at most N × the limit, which still stops guessing.
import { ApiError } from '../common/errors/api-error';

/** Addresses remembered at once; beyond it the oldest window is forgotten first. */
const MAX_TRACKED_CLIENTS = 50_000;

interface Window {
  startedAt: number;
  failures: number;
}

export class AuthFailureLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    /** Failures allowed per client per window; 0 turns the limiter off. */
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws 429 `rate_limited` (with Retry-After) when this client is over the limit. */
  assertAllowed(client: string): void {
    if (this.limit === 0) return;
    const window = this.current(client);
    if (window && window.failures >= this.limit) {
      const retryAfterSeconds = Math.max(1, Math.ceil((window.startedAt + this.windowMs - this.now()) / 1000));
      throw new ApiError(
        'rate_limited',
        `too many failed authentication attempts from this address; retry in ${retryAfterSeconds} s`,
        { retry_after_seconds: retryAfterSeconds },
        { 'retry-after': String(retryAfterSeconds) },
      );
    }
  }

  recordFailure(client: string): void {
    if (this.limit === 0) return;
    const window = this.current(client);
    if (window) {
      window.failures++;
      return;
    }
    if (this.windows.size >= MAX_TRACKED_CLIENTS) this.forgetOldest();
    this.windows.set(client, { startedAt: this.now(), failures: 1 });
  }

  /** Clients currently tracked (for tests and metrics). */
  get size(): number {
    return this.windows.size;
  }

  private current(client: string): Window | undefined {
    const window = this.windows.get(client);
    if (window && this.now() - window.startedAt >= this.windowMs) {
      this.windows.delete(client);
      return undefined;
    }
    return window;
  }

  private forgetOldest(): void {
    // Map keeps insertion order, and a window is inserted when it starts: the first is the oldest.
    const oldest = this.windows.keys().next();
    if (!oldest.done) this.windows.delete(oldest.value);
  }
}
