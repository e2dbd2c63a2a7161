// How changes to the group tree and to group membership keep it sound under concurrency. Plain
// functions, not a provider, so that agents (which groups' budgets depend on) can use them
// without a module cycle.
//
// - Changes of the tree's shape (a group created under a parent, moved, deleted) take one
//   advisory lock per tenant for their transaction, then read the ancestry inside it: two moves
//   that would each be fine alone but make a cycle together run one after the other, and the
//   second sees the first.
// - Joining a group (an agent's group_id, a budget set on the group) locks the group's row FOR
//   KEY SHARE, only while it is live; a delete locks it FOR UPDATE and then counts members. The
//   one that comes second waits for the other and sees what it committed: a group is never
//   deleted with a live member, and nothing joins a deleted group.
import { Pool } from 'pg';
import { withRetry } from '../budgets/retry';
import { isUuid } from '../common/http/ids';
import { activeScope } from '../database/transaction-scope';
import { ScopedPool } from '../database/scoped-pool';

/**
 * Runs fn in one transaction that every query of its async context joins (Prisma's and raw SQL
 * through the pool), retried on deadlocks; inside a request's transaction scope (a request with
 * an Idempotency-Key) it joins that one.
 */
export function inTransaction<T>(pool: Pool, fn: () => Promise<T>): Promise<T> {
  if (activeScope()) return fn();
  return withRetry(() => (pool as ScopedPool).inTransaction(() => fn()));
}

/** Serializes the tenant's changes to the group tree until the transaction ends. */
export async function lockGroupTree(pool: Pool, tenantId: string): Promise<void> {
  await pool.query(`SELECT pg_advisory_xact_lock(hashtextextended('spendguard:groups:' || $1, 0))`, [tenantId]);
}

/**
 * Locks a live group of the tenant against deletion until the transaction ends; its canonical id,
 * or null when the tenant has no live group of that id.
 */
export async function lockLiveGroup(pool: Pool, tenantId: string, groupId: string): Promise<string | null> {
  if (!isUuid(groupId)) return null;
  const { rows } = await pool.query<{ id: string }>(
    'SELECT id FROM groups WHERE tenant_id = $1::uuid AND id = $2::uuid AND deleted_at IS NULL FOR KEY SHARE',
    [tenantId, groupId],
  );
  return rows[0]?.id ?? null;
}
