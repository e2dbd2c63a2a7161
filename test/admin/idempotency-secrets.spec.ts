// Secrets are shown once and never kept (SPEC §7, issue 10 point 5): no API key secret, tenant
// admin key secret, provider key or operator key lies anywhere in the database, and replaying a
// key-creating request with its Idempotency-Key gives the same answer with `secret: null`.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import { migrate, readMigrations } from '../../src/database/migrator';
import { expectLedgerBalanced, HttpClient, startTestApp, TestApp } from '../support/test-app';
import { databaseUrl, runId, SERVER_DATABASE_URL } from '../support/test-env';

const OPERATOR_KEY = `operator-key-${randomBytes(12).toString('hex')}`;
let t: TestApp;
let operator: HttpClient;

beforeAll(async () => {
  t = await startTestApp({
    redis: true,
    env: { CAP_MODE: 'hosted', CAP_API_KEY: OPERATOR_KEY, CAP_PROVIDER_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') },
  });
  operator = t.http.withHeaders({ 'x-api-key': OPERATOR_KEY });
});
afterEach(() => expectLedgerBalanced(t.pool));
afterAll(() => t.close());

const idem = (name: string) => ({ headers: { 'idempotency-key': `${name}-${randomBytes(6).toString('hex')}` } });

/** Every row of every table of the database (all schemas but the system ones), as text. */
async function dumpDatabase(pool: Pool): Promise<string> {
  const { rows: tables } = await pool.query<{ schema: string; name: string }>(
    `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
      WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
  );
  expect(tables.map((x) => x.name)).toEqual(expect.arrayContaining(['api_keys', 'idempotency_keys', 'provider_keys', 'tenants']));
  const parts: string[] = [];
  for (const { schema, name } of tables) {
    const { rows } = await pool.query(`SELECT t::text AS row FROM "${schema}"."${name}" t`);
    parts.push(`-- ${schema}.${name}`, ...rows.map((r) => r.row as string));
  }
  return parts.join('\n');
}

describe('secrets at rest', () => {
  it('leaves no secret it was given or gave out anywhere in the database', async () => {
    const secrets: string[] = [OPERATOR_KEY];

    // Tenants, with and without an Idempotency-Key, each replayed once.
    const tk = idem('tenant');
    const tenant = await operator.post('/v1/tenants', { name: 'dump-co' }, tk);
    expect(tenant.status).toBe(201);
    expect((await operator.post('/v1/tenants', { name: 'dump-co' }, tk)).status).toBe(201);
    const other = await operator.post('/v1/tenants', { name: 'dump-other' });
    secrets.push(tenant.body.api_key.secret, other.body.api_key.secret);
    const admin = t.http.withHeaders({ 'x-api-key': tenant.body.api_key.secret });

    // Tenant keys, with and without an Idempotency-Key; one of them revoked.
    const kk = idem('api-key');
    const key = await admin.post('/v1/api-keys', { name: 'ci', scopes: ['cap:use'] }, kk);
    expect(key.status).toBe(201);
    expect((await admin.post('/v1/api-keys', { name: 'ci', scopes: ['cap:use'] }, kk)).status).toBe(201);
    const plain = await admin.post('/v1/api-keys', { name: 'reader', scopes: ['read'], environment: 'test' });
    secrets.push(key.body.secret, plain.body.secret);
    expect((await admin.delete(`/v1/api-keys/${plain.body.id}`, idem('revoke'))).status).toBe(200);

    // Provider keys, stored encrypted, with and without an Idempotency-Key.
    const openaiKey = `sk-proj-${randomBytes(24).toString('hex')}`;
    const anthropicKey = `sk-ant-api03-${randomBytes(24).toString('hex')}`;
    const pk = idem('provider-key');
    expect((await admin.request('PUT', '/v1/provider-keys/openai', { body: { api_key: openaiKey }, ...pk })).status).toBe(200);
    expect((await admin.request('PUT', '/v1/provider-keys/openai', { body: { api_key: openaiKey }, ...pk })).status).toBe(200);
    expect((await admin.request('PUT', '/v1/provider-keys/anthropic', { body: { api_key: anthropicKey } })).status).toBe(200);
    secrets.push(openaiKey, anthropicKey);

    // Some ordinary traffic, so every table has rows.
    const agent = await admin.post('/v1/agents', { name: 'a' }, idem('agent'));
    await admin.post(`/v1/agents/${agent.body.agent_id}/budget`, { hard_limit_cents: 100, topup_cents: 10 }, idem('budget'));

    const dump = await dumpDatabase(t.pool);
    expect(dump).toContain(tenant.body.tenant_id); // the dump did read the data
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThanOrEqual(24);
      if (dump.includes(secret)) {
        const line = dump.split('\n').find((l) => l.includes(secret))!;
        throw new Error(`a secret is stored in the database: ${line.replace(secret, '<secret>').slice(0, 300)}`);
      }
    }
  });
});

describe('replaying a key-creating request', () => {
  it('POST /v1/api-keys: the replay is the same answer with secret null, before and after the key is revoked', async () => {
    const tenant = await operator.post('/v1/tenants', { name: 'replay-keys' });
    const admin = t.http.withHeaders({ 'x-api-key': tenant.body.api_key.secret });
    const k = idem('create-key');
    const first = await admin.post('/v1/api-keys', { name: 'deploy', scopes: ['cap:use'] }, k);
    expect(first.status).toBe(201);
    const secret: string = first.body.secret;
    expect(secret).toMatch(/^sk_cynsta_live_[0-9A-Za-z]{32}$/);

    const replay = await admin.post('/v1/api-keys', { name: 'deploy', scopes: ['cap:use'] }, k);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.text).not.toContain(secret);
    expect(replay.body).toEqual({ ...first.body, secret: null });

    expect((await admin.delete(`/v1/api-keys/${first.body.id}`)).status).toBe(200);
    const afterRevoke = await admin.post('/v1/api-keys', { name: 'deploy', scopes: ['cap:use'] }, k);
    expect(afterRevoke.status).toBe(201);
    expect(afterRevoke.headers.get('idempotent-replayed')).toBe('true');
    expect(afterRevoke.text).not.toContain(secret);
    expect(afterRevoke.body.secret).toBeNull();

    // One key made, whatever the number of replays.
    const list = await admin.get('/v1/api-keys');
    expect(list.body.api_keys.filter((x: { name: string }) => x.name === 'deploy')).toHaveLength(1);
  });

  it('POST /v1/tenants: the replay is the same answer with the admin key secret null, before and after it is revoked', async () => {
    const k = idem('create-tenant');
    const first = await operator.post('/v1/tenants', { name: 'replay-tenant' }, k);
    expect(first.status).toBe(201);
    const secret: string = first.body.api_key.secret;
    expect(secret).toMatch(/^sk_cynsta_live_[0-9A-Za-z]{32}$/);

    const replay = await operator.post('/v1/tenants', { name: 'replay-tenant' }, k);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.text).not.toContain(secret);
    expect(replay.body).toEqual({ ...first.body, api_key: { ...first.body.api_key, secret: null } });

    const admin = t.http.withHeaders({ 'x-api-key': secret });
    expect((await admin.delete(`/v1/api-keys/${first.body.api_key.id}`)).status).toBe(200);
    const afterRevoke = await operator.post('/v1/tenants', { name: 'replay-tenant' }, k);
    expect(afterRevoke.status).toBe(201);
    expect(afterRevoke.headers.get('idempotent-replayed')).toBe('true');
    expect(afterRevoke.text).not.toContain(secret);
    expect(afterRevoke.body.api_key.secret).toBeNull();

    const { rows } = await t.pool.query("SELECT count(*)::int AS n FROM tenants WHERE name = 'replay-tenant'");
    expect(rows[0].n).toBe(1);
  });
});

describe('records written before secrets were kept out of them', () => {
  const legacyRecord = (tenantId: string, key: string, path: string, body: unknown, requestBody: unknown) => [
    tenantId,
    key,
    'POST',
    path,
    // The request hash as the interceptor computes it: method, url, canonical body.
    createHash('sha256').update(`POST ${path}\n${JSON.stringify(requestBody)}`).digest('hex'),
    JSON.stringify(body),
  ];
  const INSERT = `INSERT INTO idempotency_keys (tenant_id, key, method, path, request_hash, status, response_status, response_body)
                  VALUES ($1, $2, $3, $4, $5, 'done', 201, $6::jsonb)`;

  it('are replayed with secret null all the same', async () => {
    const tenant = await operator.post('/v1/tenants', { name: 'legacy-replay' });
    const admin = t.http.withHeaders({ 'x-api-key': tenant.body.api_key.secret });
    const old = { id: randomUUID(), name: 'old', prefix: 'sk_cynsta_live_abcd', scopes: ['read'], created_at: new Date().toISOString(), revoked_at: null };
    const oldSecret = `sk_cynsta_live_${'A'.repeat(32)}`;
    const key = `legacy-${randomBytes(4).toString('hex')}`;
    await t.pool.query(INSERT, legacyRecord(tenant.body.tenant_id, key, '/v1/api-keys', { ...old, secret: oldSecret }, { name: 'old', scopes: ['read'] }));
    const replay = await admin.post('/v1/api-keys', { name: 'old', scopes: ['read'] }, { headers: { 'idempotency-key': key } });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual({ ...old, secret: null });
  });

  it('lose their secrets to the migration that comes with this release', async () => {
    const name = `sg_test_${runId()}_scrub${randomBytes(3).toString('hex')}`;
    const admin = new Client({ connectionString: SERVER_DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = databaseUrl(name);
    const all = readMigrations();
    const scrub = all.findIndex((m) => m.name.endsWith('_idempotency_secrets_scrub'));
    expect(scrub).toBeGreaterThan(0);
    await migrate(url, all.slice(0, scrub));

    const db = new Client({ connectionString: url });
    await db.connect();
    try {
      const keySecret = `sk_cynsta_live_${randomBytes(16).toString('hex')}`;
      const tenantSecret = `sk_cynsta_test_${randomBytes(16).toString('hex')}`;
      const nil = '00000000-0000-0000-0000-000000000000';
      await db.query(INSERT, legacyRecord(randomUUID(), 'k1', '/v1/api-keys', { id: 'x', secret: keySecret }, {}));
      await db.query(INSERT, legacyRecord(nil, 'k2', '/v1/tenants', { tenant_id: 'y', api_key: { id: 'z', secret: tenantSecret } }, {}));
      await db.query(INSERT, legacyRecord(randomUUID(), 'k3', '/v1/agents', { agent_id: 'a', name: 'no secret here' }, {}));
      await migrate(url, all);
      const { rows } = await db.query('SELECT key, response_body FROM idempotency_keys ORDER BY key');
      expect(rows).toEqual([
        { key: 'k1', response_body: { id: 'x', secret: null } },
        { key: 'k2', response_body: { tenant_id: 'y', api_key: { id: 'z', secret: null } } },
        { key: 'k3', response_body: { agent_id: 'a', name: 'no secret here' } },
      ]);
    } finally {
      await db.end();
    }
  });
});
