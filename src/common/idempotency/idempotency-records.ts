// The SQL of Idempotency-Key records (table idempotency_keys). The lock and the record are taken
// and written on the client of the request's transaction, so the record exists exactly when the
// change it answers for committed.
import type { Pool, PoolClient } from 'pg';

export interface IdempotencyRecord {
  requestHash: string;
  responseBody: unknown;
}

export interface NewIdempotencyRecord {
  tenantId: string;
  key: string;
  method: string;
  path: string;
  requestHash: string;
  responseStatus: number;
  responseBody: unknown;
}

/**
 * Takes the key for this transaction, without waiting: false when another transaction holds it
 * (the first request with this key is still running). PostgreSQL releases it at COMMIT or
 * ROLLBACK, and when the connection of a dead process closes. The 64-bit lock id is a hash of
 * tenant and key; a collision between two keys in flight at once costs a spurious 409, retried.
 */
export async function tryLockKey(db: PoolClient, tenantId: string, key: string): Promise<boolean> {
  const { rows } = await db.query<{ locked: boolean }>(
    `SELECT pg_try_advisory_xact_lock(hashtextextended('idempotency:' || $1 || ':' || $2, 0)) AS locked`,
    [tenantId, key],
  );
  return rows[0].locked;
}

/**
 * The committed record of this key, if younger than `ttlSeconds`. Older ones (the sweeper
 * deletes them in time) and 'running' rows, which the previous claim/complete design could leave
 * behind after a crash, count as absent: the new record replaces them.
 */
export async function findRecord(db: Pool | PoolClient, tenantId: string, key: string, ttlSeconds: number): Promise<IdempotencyRecord | undefined> {
  const { rows } = await db.query<{ request_hash: string; response_body: unknown }>(
    `SELECT request_hash, response_body FROM idempotency_keys
      WHERE tenant_id = $1::uuid AND key = $2 AND status = 'done' AND created_at > now() - make_interval(secs => $3::int)`,
    [tenantId, key, ttlSeconds],
  );
  return rows[0] && { requestHash: rows[0].request_hash, responseBody: rows[0].response_body };
}

export async function saveRecord(db: PoolClient, r: NewIdempotencyRecord): Promise<void> {
  await db.query(
    `INSERT INTO idempotency_keys (tenant_id, key, method, path, request_hash, status, response_status, response_body, created_at)
     VALUES ($1::uuid, $2, $3, $4, $5, 'done', $6, $7::jsonb, now())
     ON CONFLICT (tenant_id, key) DO UPDATE
       SET method = EXCLUDED.method, path = EXCLUDED.path, request_hash = EXCLUDED.request_hash, status = 'done',
           response_status = EXCLUDED.response_status, response_body = EXCLUDED.response_body, created_at = EXCLUDED.created_at`,
    [r.tenantId, r.key, r.method, r.path, r.requestHash, r.responseStatus, JSON.stringify(r.responseBody ?? null)],
  );
}
