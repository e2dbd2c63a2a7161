// The per-agent in-flight lock of SPEC §4 rule 6: `exclusive` agents run one call at a time
// across every instance. A lock is held with a TTL and extended while the call runs, so a dead
// instance's lock frees itself; the holder's run id is kept beside it for the 409.

export interface HeldLock {
  /** Pushes the expiry out again; false when the lock was lost (the call must stop). */
  extend(ttlMs: number): Promise<boolean>;
  release(): Promise<void>;
}

export type LockAttempt =
  | { ok: true; lock: HeldLock }
  | { ok: false; holderRunId: string | null; retryAfterMs: number };

export interface AgentLocks {
  /** Keyed by tenant and agent: a caller naming another tenant's agent never touches its lock. */
  acquire(tenantId: string, agentId: string, runId: string, ttlMs: number): Promise<LockAttempt>;
}

/** Redis is down or unreachable: exclusive calls fail closed (503), never run unlocked. */
export class LockServiceUnavailable extends Error {}
