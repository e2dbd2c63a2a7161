// Locks shared by every instance: redlock over the one Redis of REDIS_URL. The lock value is
// redlock's random token; the holder's run id sits in a companion key with the same TTL.
// The companion key's commands are not awaited on their own: ioredis pipelines them with the
// lock's, so taking and giving back a lock costs one round trip each.
// "Locked" comes only from Redis answering that the key is taken; a Redis that errors or does
// not answer within CAP_REDIS_COMMAND_TIMEOUT_MS is LockServiceUnavailable (503), never a 409.
import Redis from 'ioredis';
import Redlock from 'redlock';
import { AgentLocks, LockAttempt, LockServiceUnavailable } from './agent-lock';
import { WatchedScripts } from './watched-scripts';

// No retries: a busy agent answers 409 at once and the client decides (Retry-After).
const REDLOCK_OPTIONS: Redlock.Options = { retryCount: 0, driftFactor: 0.01 };

export class RedisLocks implements AgentLocks {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async acquire(tenantId: string, agentId: string, runId: string, ttlMs: number): Promise<LockAttempt> {
    if (this.redis.status !== 'ready') throw new LockServiceUnavailable(`redis is ${this.redis.status}`);
    const key = `${this.prefix}lock:agent:${tenantId}:${agentId}`;
    // A redlock of this lock's own, so that a script error is this lock's and no other caller's.
    const scripts = new WatchedScripts(this.redis);
    const redlock = new Redlock([scripts], REDLOCK_OPTIONS);
    let lock: Redlock.Lock;
    try {
      lock = await scripts.watch(() => redlock.lock(key, ttlMs));
    } catch (err) {
      if (err instanceof LockServiceUnavailable) throw err;
      if (!(err instanceof Redlock.LockError)) throw new LockServiceUnavailable((err as Error).message);
      return this.heldByAnother(key);
    }
    // Sent now, read by nobody but a refused caller: not awaited (see the top).
    this.redis.set(`${key}:run`, runId, 'PX', ttlMs).catch(() => undefined);
    return {
      ok: true,
      lock: {
        extend: async (ttl) => {
          try {
            lock = await scripts.watch(() => lock.extend(ttl));
            this.redis.pexpire(`${key}:run`, ttl).catch(() => undefined);
            return true;
          } catch {
            return false;
          }
        },
        release: async () => {
          // The run id goes first (pipelined), so it never outlives the lock into the next holder's.
          this.redis.del(`${key}:run`).catch(() => undefined);
          await lock.unlock().catch(() => undefined);
        },
      },
    };
  }

  /** Redis said the key is taken: who holds it, and for how long, for the 409. */
  private async heldByAnother(key: string): Promise<LockAttempt> {
    let holder: string | null;
    let ttl: number;
    try {
      [holder, ttl] = await Promise.all([this.redis.get(`${key}:run`), this.redis.pttl(key)]);
    } catch (err) {
      throw new LockServiceUnavailable((err as Error).message);
    }
    return { ok: false, holderRunId: holder, retryAfterMs: Math.max(ttl, 1) };
  }
}
