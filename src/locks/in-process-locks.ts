// Locks for a single sidecar without REDIS_URL: a map in this process, with the same TTL rules
// as the Redis locks so behaviour does not change when Redis is added.
import { AgentLocks, LockAttempt } from './agent-lock';

interface Entry {
  token: symbol;
  runId: string;
  expiresAt: number;
}

export class InProcessLocks implements AgentLocks {
  private readonly held = new Map<string, Entry>();

  async acquire(tenantId: string, agentId: string, runId: string, ttlMs: number): Promise<LockAttempt> {
    const key = `${tenantId}:${agentId}`;
    const now = Date.now();
    const current = this.held.get(key);
    if (current && current.expiresAt > now) {
      return { ok: false, holderRunId: current.runId, retryAfterMs: current.expiresAt - now };
    }
    const entry: Entry = { token: Symbol(key), runId, expiresAt: now + ttlMs };
    this.held.set(key, entry);
    const mine = () => this.held.get(key)?.token === entry.token;
    return {
      ok: true,
      lock: {
        extend: async (ttl) => {
          if (!mine() || entry.expiresAt <= Date.now()) return false;
          entry.expiresAt = Date.now() + ttl;
          return true;
        },
        release: async () => {
          if (mine()) this.held.delete(key);
        },
      },
    };
  }
}
