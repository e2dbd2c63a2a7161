// Hosted mode: the operator creates tenants; tenant keys (SHA-256 at rest, shown once, scoped)
// act inside their tenant only; another tenant's objects are "not found".
import { createHash, randomUUID } from 'node:crypto';
import { spawnInstance } from '../support/spawn-instance';
import { TEST_REDIS_URL } from '../support/test-env';
import { HttpClient, expectLedgerBalanced, startTestApp, TestApp } from '../support/test-app';

const OPERATOR_KEY = 'operator-key-for-tests-0123456789';
let t: TestApp;
let operator: HttpClient;

async function newTenant(name: string): Promise<{ id: string; admin: HttpClient; secret: string }> {
  const res = await operator.post('/v1/tenants', { name });
  expect(res.status).toBe(201);
  return { id: res.body.tenant_id, secret: res.body.api_key.secret, admin: t.http.withHeaders({ 'x-api-key': res.body.api_key.secret }) };
}

beforeAll(async () => {
  t = await startTestApp({ redis: true, env: { CAP_MODE: 'hosted', CAP_API_KEY: OPERATOR_KEY } });
  operator = t.http.withHeaders({ 'x-api-key': OPERATOR_KEY });
});
afterEach(() => expectLedgerBalanced(t.pool));
afterAll(() => t.close());

describe('authentication', () => {
  it('needs a key everywhere but /health and /health/ready', async () => {
    expect((await t.http.get('/health')).status).toBe(200);
    expect((await t.http.get('/health/ready')).status).toBe(200);
    const res = await t.http.get('/v1/agents');
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ detail: expect.any(String), error: { type: 'authentication_error', code: 'unauthenticated' } });
    expect((await t.http.get('/v1/agents', { headers: { 'x-api-key': 'sk_cynsta_live_' + 'x'.repeat(32) } })).status).toBe(401);
    expect((await t.http.get('/v1/agents', { headers: { 'x-api-key': 'nonsense' } })).body.error.code).toBe('invalid_api_key');
  });

  it('accepts a tenant key in x-api-key and in Authorization: Bearer', async () => {
    const tenant = await newTenant('bearer-co');
    expect((await tenant.admin.get('/v1/agents')).status).toBe(200);
    expect((await t.http.get('/v1/agents', { headers: { authorization: `Bearer ${tenant.secret}` } })).status).toBe(200);
  });

  it('keeps the operator out of tenant routes and tenants out of operator routes', async () => {
    const res = await operator.get('/v1/agents');
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('tenant_key_required');
    const tenant = await newTenant('not-operator');
    expect((await tenant.admin.post('/v1/tenants', { name: 'x' })).status).toBe(403);
    expect((await tenant.admin.get('/metrics')).status).toBe(403);
    const metrics = await operator.get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('spendguard_http_requests_total');
  });
});

describe('tenants and keys', () => {
  it('creates a tenant with a first admin key shown once and stored only as its SHA-256', async () => {
    const res = await operator.post('/v1/tenants', { name: 'acme' });
    expect(res.body).toMatchObject({ tenant_id: expect.any(String), name: 'acme', api_key: { scopes: ['admin'], revoked_at: null } });
    const secret: string = res.body.api_key.secret;
    expect(secret).toMatch(/^sk_cynsta_live_[0-9A-Za-z]{32}$/);

    const { rows } = await t.pool.query('SELECT * FROM api_keys WHERE tenant_id = $1', [res.body.tenant_id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].secret_hash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(secret);

    const list = await t.http.withHeaders({ 'x-api-key': secret }).get('/v1/api-keys');
    expect(list.body.api_keys).toHaveLength(1);
    expect(list.text).not.toContain(secret);
    expect(list.body.api_keys[0].prefix).toBe(secret.slice(0, 19));

    const tenants = await operator.get('/v1/tenants?limit=500');
    expect(tenants.body.tenants.map((x: { name: string }) => x.name)).toContain('acme');
  });

  it('enforces scopes: read sees, cap:use cannot administer, admin does everything', async () => {
    const tenant = await newTenant('scoped');
    const mk = async (scopes: string[]) =>
      t.http.withHeaders({ 'x-api-key': (await tenant.admin.post('/v1/api-keys', { name: scopes.join('+'), scopes })).body.secret });
    const reader = await mk(['read']);
    const user = await mk(['cap:use']);
    const { body: agent } = await tenant.admin.post('/v1/agents', { name: 'a' });

    expect((await reader.get(`/v1/agents/${agent.agent_id}`)).status).toBe(200);
    const denied = await reader.post('/v1/agents', {});
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('insufficient_scope');
    expect((await reader.get('/v1/api-keys')).status).toBe(403);
    expect((await user.get(`/v1/agents/${agent.agent_id}`)).status).toBe(403);
    expect((await user.post(`/v1/agents/${agent.agent_id}/budget`, { hard_limit_cents: 5 })).status).toBe(403);
  });

  it('stops accepting a revoked key within a second, on every instance', async () => {
    const other = await spawnInstance({ DATABASE_URL: t.databaseUrl, REDIS_URL: TEST_REDIS_URL, CAP_MODE: 'hosted', CAP_API_KEY: OPERATOR_KEY });
    try {
      const tenant = await newTenant('revoker');
      const created = await tenant.admin.post('/v1/api-keys', { name: 'temp', scopes: ['read'] });
      const onThis = t.http.withHeaders({ 'x-api-key': created.body.secret });
      const onOther = other.http.withHeaders({ 'x-api-key': created.body.secret });
      expect((await onThis.get('/v1/agents')).status).toBe(200);
      expect((await onOther.get('/v1/agents')).status).toBe(200); // now cached on the other instance

      const revoked = await tenant.admin.delete(`/v1/api-keys/${created.body.id}`);
      expect(revoked.body.revoked_at).not.toBeNull();
      expect((await onThis.get('/v1/agents')).status).toBe(401);
      await new Promise((r) => setTimeout(r, 1_050));
      expect((await onOther.get('/v1/agents')).status).toBe(401);
    } finally {
      await other.stop();
    }
  });
});

describe('tenant isolation: another tenant is "not found"', () => {
  it('hides every agent-scoped resource and changes nothing', async () => {
    const a = await newTenant('tenant-a');
    const b = await newTenant('tenant-b');
    const { body: agent } = await a.admin.post('/v1/agents', { name: 'private' });
    await a.admin.post(`/v1/agents/${agent.agent_id}/budget`, { hard_limit_cents: 500 });
    const { body: run } = await a.admin.post(`/v1/agents/${agent.agent_id}/runs`, {});
    const { body: key } = await a.admin.post('/v1/api-keys', { name: 'k', scopes: ['read'] });
    const id = agent.agent_id;

    const attempts: [string, string, unknown?][] = [
      ['GET', `/v1/agents/${id}`],
      ['PATCH', `/v1/agents/${id}`, { name: 'stolen' }],
      ['DELETE', `/v1/agents/${id}`],
      ['GET', `/v1/agents/${id}/budget`],
      ['POST', `/v1/agents/${id}/budget/topup`, { amount_cents: 1 }],
      ['GET', `/v1/agents/${id}/runs`],
      ['POST', `/v1/agents/${id}/runs`, {}],
      ['GET', `/v1/agents/${id}/runs/${run.run_id}`],
      ['GET', `/v1/agents/${id}/ledger`],
      ['DELETE', `/v1/api-keys/${key.id}`],
    ];
    const before = await snapshot();
    for (const [method, path, body] of attempts) {
      const res = await b.admin.request(method, path, body === undefined ? {} : { body });
      const unknown = await b.admin.request(method, path.replace(id, randomUUID()).replace(key.id, randomUUID()), body === undefined ? {} : { body });
      expect([method, path, res.status]).toEqual([method, path, 404]);
      // Exactly what an id that does not exist gets: nothing tells B the agent exists.
      expect(res.body.error.type).toBe(unknown.body.error.type);
    }
    expect(await snapshot()).toEqual(before);
    expect((await b.admin.get('/v1/agents')).body.agents).toEqual([]);
    expect((await b.admin.get('/v1/api-keys')).body.api_keys).toHaveLength(1);

    // Agent ids are per tenant: B's budget set on A's id makes B's own agent of that id (as the
    // seed's store made a budget's agent) and leaves A's agent, budget and ledger untouched.
    const aBudget = (await a.admin.get(`/v1/agents/${id}/budget`)).body;
    const aLedger = (await a.admin.get(`/v1/agents/${id}/ledger`)).body;
    const set = await b.admin.post(`/v1/agents/${id}/budget`, { hard_limit_cents: 1 });
    expect(set.body).toMatchObject({ agent_id: id, hard_limit_cents: 1, remaining_cents: 1 });
    expect((await a.admin.get(`/v1/agents/${id}/budget`)).body).toEqual(aBudget);
    expect((await a.admin.get(`/v1/agents/${id}/ledger`)).body).toEqual(aLedger);
    expect((await b.admin.get(`/v1/agents/${id}/ledger`)).body.entries).toHaveLength(1);
  });
});

async function snapshot() {
  const tables = ['agents', 'budgets', 'runs', 'reservations', 'ledger_entries', 'api_keys'];
  const out: Record<string, string> = {};
  for (const table of tables) {
    const { rows } = await t.pool.query(`SELECT md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) AS h FROM ${table} x`);
    out[table] = rows[0].h;
  }
  return out;
}
