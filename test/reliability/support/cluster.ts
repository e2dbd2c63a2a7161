// Several real service processes (dist/main.js, hosted mode) on one PostgreSQL database and one
// Redis, in front of one fake provider, with a tenant and its admin key: the set-up of every
// multi-instance reliability scenario.
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { checkLedgerInvariant } from '../../../src/budgets/ledger-invariant';
import { FakeProvider, startFakeProvider } from '../../fake-provider/fake-provider';
import { PROVIDER_KEYS } from '../../support/proxy-stack';
import { Instance, spawnInstance } from '../../support/spawn-instance';
import { HttpClient } from '../../support/test-app';
import { createTestDatabase, testPool } from '../../support/test-database';
import { TEST_REDIS_URL } from '../../support/test-env';

export const OPERATOR_KEY = 'operator-key-for-reliability-0123456789';

export interface ClusterOptions {
  instances: number;
  env?: Record<string, string>;
  /** The Redis the instances use (default: the shared test Redis). */
  redisUrl?: string;
  /** The URL the instances reach PostgreSQL by (e.g. through a TCP proxy); default: direct. */
  instanceDatabaseUrl?: (directUrl: string) => string;
}

export interface Cluster {
  fake: FakeProvider;
  databaseUrl: string;
  /** Direct to PostgreSQL, for the test's own checks. */
  pool: Pool;
  instances: Instance[];
  env: Record<string, string>;
  tenantId: string;
  tenantKey: string;
  /** One client per instance, with the tenant's admin key. */
  clients: HttpClient[];
  agent(limitCents: number, concurrency: 'exclusive' | 'parallel', name?: string): Promise<string>;
  /** Starts one more instance with the cluster's environment (plus `env`). */
  spawn(env?: Record<string, string>): Promise<Instance>;
  close(): Promise<void>;
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const fake = await startFakeProvider();
  const databaseUrl = await createTestDatabase();
  const pool = testPool(databaseUrl);
  const env: Record<string, string> = {
    CAP_MODE: 'hosted',
    CAP_API_KEY: OPERATOR_KEY,
    DATABASE_URL: opts.instanceDatabaseUrl ? opts.instanceDatabaseUrl(databaseUrl) : databaseUrl,
    REDIS_URL: opts.redisUrl ?? TEST_REDIS_URL,
    CAP_REDIS_KEY_PREFIX: `sgrel:${randomBytes(4).toString('hex')}:`,
    CAP_SHUTDOWN_GRACE_MS: '2000',
    ...PROVIDER_KEYS,
    ...fake.env(),
    ...opts.env,
  };
  const instances: Instance[] = [];
  // One at a time: each migrates at boot (a no-op on the cloned template, but serialized anyway).
  for (let i = 0; i < opts.instances; i++) instances.push(await spawnInstance(env));
  const operator = instances[0].http.withHeaders({ 'x-api-key': OPERATOR_KEY });
  const tenant = await operator.post('/v1/tenants', { name: `reliability-${randomBytes(3).toString('hex')}` });
  if (tenant.status !== 201) throw new Error(`tenant creation failed: ${tenant.status} ${tenant.text}`);
  const tenantKey: string = tenant.body.api_key.secret;
  const clients = instances.map((i) => i.http.withHeaders({ 'x-api-key': tenantKey }));
  return {
    fake,
    databaseUrl,
    pool,
    instances,
    env,
    tenantId: tenant.body.tenant_id,
    tenantKey,
    clients,
    async agent(limitCents, concurrency, name = 'reliability') {
      const created = await clients[0].post('/v1/agents', { name, concurrency });
      if (created.status !== 201) throw new Error(`agent creation failed: ${created.status} ${created.text}`);
      const budget = await clients[0].post(`/v1/agents/${created.body.agent_id}/budget`, { hard_limit_cents: limitCents });
      if (budget.status !== 200 && budget.status !== 201) throw new Error(`budget failed: ${budget.status} ${budget.text}`);
      return created.body.agent_id;
    },
    async spawn(extra = {}) {
      const instance = await spawnInstance({ ...env, ...extra });
      instances.push(instance);
      return instance;
    },
    async close() {
      await Promise.all(instances.map((i) => i.stop('SIGKILL')));
      await pool.end();
      await fake.close();
    },
  };
}

/** SPEC §5 for every agent of the database; returns the broken reports (none expected). */
export async function brokenInvariants(pool: Pool) {
  return (await checkLedgerInvariant(pool)).filter((r) => !r.ok);
}

export async function openReservations(pool: Pool, agentId?: string): Promise<number> {
  const { rows } = await pool.query(
    `SELECT count(*)::int AS n FROM reservations WHERE status = 'open'${agentId ? ' AND agent_id = $1' : ''}`,
    agentId ? [agentId] : [],
  );
  return rows[0].n;
}

export async function budgetRow(pool: Pool, agentId: string) {
  const { rows } = await pool.query(
    'SELECT credited_microcents, remaining_microcents, reserved_microcents, spent_microcents FROM budgets WHERE agent_id = $1',
    [agentId],
  );
  const r = rows[0];
  return {
    credited: BigInt(r.credited_microcents),
    remaining: BigInt(r.remaining_microcents),
    reserved: BigInt(r.reserved_microcents),
    spent: BigInt(r.spent_microcents),
  };
}

export async function ledgerKinds(pool: Pool, agentId: string): Promise<Record<string, number>> {
  const { rows } = await pool.query('SELECT kind, count(*)::int AS n FROM ledger_entries WHERE agent_id = $1 GROUP BY kind', [agentId]);
  return Object.fromEntries(rows.map((r) => [r.kind, r.n]));
}

/** A chat body the fake tags with the agent (for its per-agent concurrency record). */
export function chatBody(agentId: string, extra: Record<string, unknown> = {}) {
  return { model: 'gpt-4o-mini', max_tokens: 100, messages: [{ role: 'user', content: `go [[agent:${agentId}]]` }], ...extra };
}
