// Locks shared by every instance: redlock over the one Redis of REDIS_URL. The lock value is
// redlock's random token; the holder's run id sits in a companion key with the same TTL.
// The companion key's commands are not awaited on their own: ioredis pipelines them with the
// lock's, so taking and giving back a lock costs one round trip each.
import Redis from 'ioredis';
import Redlock from 'redlock';
import { AgentLocks, LockAttempt, LockServiceUnavailable } from './agent-lock';

export class RedisLocks implements AgentLocks {
  private readonly redlock: Redlock;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    // No retries: a busy agent answers 409 at once and the client decides (Retry-After).
    this.redlock = new Redlock([redis as unknown as Redlock.CompatibleRedisClient], { retryCount: 0, driftFactor: 0.01 });
    this.redlock.on('clientError', () => undefined);
  }

  async acquire(tenantId: string, agentId: string, runId: string, ttlMs: number): Promise<LockAttempt> {
    if (this.redis.status !== 'ready') throw new LockServiceUnavailable(`redis is ${this.redis.status}`);
    const key = `${this.prefix}lock:agent:${tenantId}:${agentId}`;
    let lock: Redlock.Lock;
    try {
      lock = await this.redlock.lock(key, ttlMs);
    } catch (err) {
      if (!(err instanceof Redlock.LockError)) throw new LockServiceUnavailable((err as Error).message);
      if (this.redis.status !== 'ready') throw new LockServiceUnavailable(`redis is ${this.redis.status}`);
      const [holder, ttl] = await Promise.all([this.redis.get(`${key}:run`), this.redis.pttl(key)]).catch(() => [null, ttlMs]);
      return { ok: false, holderRunId: holder as string | null, retryAfterMs: Math.max(Number(ttl), 1) };
    }
    // Sent now, read by nobody but a refused caller: not awaited (see the top).
    this.redis.set(`${key}:run`, runId, 'PX', ttlMs).catch(() => undefined);
    return {
      ok: true,
      lock: {
        extend: async (ttl) => {
          try {
            lock = await lock.extend(ttl);
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
}
