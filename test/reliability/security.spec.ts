// Security across real instances (hosted mode, three processes on one database): another
// tenant's key gets 404 on every route and changes nothing; a revoked key stops working on every
// instance within a second; keys are stored only hashed and provider keys only encrypted;
// provider keys, tenant keys and prompts never appear in the logs (captured at trace level);
// failed authentications are rate-limited per client address.
import { randomBytes } from 'node:crypto';
import { snapshotDatabase } from '../support/admin-assertions';
import { HttpClient } from '../support/test-app';
import { PROVIDER_KEYS } from '../support/proxy-stack';
import { Cluster, OPERATOR_KEY, startCluster } from './support/cluster';
import { recordFigures, sleep } from './support/figures';

const TENANT_PROVIDER_KEY = `sk-tenant-provider-${randomBytes(8).toString('hex')}`;
const PROMPT = `PROMPT-SECRET-${randomBytes(8).toString('hex')}`;
let c: Cluster;
let a: { admin: HttpClient; secret: string; agent: string; run: string; keyId: string; tenantId: string };
let b: { admin: HttpClient; secret: string; tenantId: string };
const secrets: string[] = [];

beforeAll(async () => {
  c = await startCluster({
    instances: 3,
    env: { CAP_LOG_LEVEL: 'trace', CAP_PROVIDER_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'), CAP_AUTH_FAILURE_LIMIT: '0' },
  });
  const operator = c.instances[0].http.withHeaders({ 'x-api-key': OPERATOR_KEY });
  const tenantA = (await operator.post('/v1/tenants', { name: 'tenant-a' })).body;
  const tenantB = (await operator.post('/v1/tenants', { name: 'tenant-b' })).body;
  const adminA = c.instances[0].http.withHeaders({ 'x-api-key': tenantA.api_key.secret });
  const agent = (await adminA.post('/v1/agents', { name: 'a-agent', concurrency: 'parallel' })).body.agent_id;
  await adminA.post(`/v1/agents/${agent}/budget`, { hard_limit_cents: 100 });
  expect((await adminA.request('PUT', '/v1/provider-keys/openai', { body: { api_key: TENANT_PROVIDER_KEY } })).status).toBe(200);
  const call = await adminA.post('/v1/chat/completions', { model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: PROMPT }] }, { headers: { 'x-cynsta-agent-id': agent, 'x-cynsta-run-id': 'run-a' } });
  expect(call.status).toBe(200);
  expect(c.fake.received.at(-1)!.apiKey).toBe(TENANT_PROVIDER_KEY); // the tenant's own key went upstream
  const key = (await adminA.post('/v1/api-keys', { name: 'a-read', scopes: ['read'] })).body;
  a = { admin: adminA, secret: tenantA.api_key.secret, agent, run: 'run-a', keyId: key.id, tenantId: tenantA.tenant_id };
  b = { admin: c.instances[1].http.withHeaders({ 'x-api-key': tenantB.api_key.secret }), secret: tenantB.api_key.secret, tenantId: tenantB.tenant_id };
  secrets.push(tenantA.api_key.secret, tenantB.api_key.secret, key.secret);
}, 120_000);
afterAll(() => c?.close());

describe("another tenant's key", () => {
  const chat = { model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: 'steal' }] };
  const MATRIX: [string, string, (id: { agent: string; run: string; keyId: string }) => string, unknown?, Record<string, string>?][] = [
    ['GET', 'agent', (x) => `/v1/agents/${x.agent}`],
    ['PATCH', 'agent', (x) => `/v1/agents/${x.agent}`, { name: 'pwned' }],
    ['DELETE', 'agent', (x) => `/v1/agents/${x.agent}`],
    ['GET', 'budget', (x) => `/v1/agents/${x.agent}/budget`],
    ['POST', 'top-up', (x) => `/v1/agents/${x.agent}/budget/topup`, { amount_cents: 1_000 }],
    ['GET', 'runs', (x) => `/v1/agents/${x.agent}/runs`],
    ['POST', 'runs', (x) => `/v1/agents/${x.agent}/runs`, {}],
    ['GET', 'run', (x) => `/v1/agents/${x.agent}/runs/${x.run}`],
    ['GET', 'ledger', (x) => `/v1/agents/${x.agent}/ledger`],
    ['DELETE', 'api key', (x) => `/v1/api-keys/${x.keyId}`],
    ['POST', 'chat completions', () => '/v1/chat/completions', chat, { 'x-cynsta-agent-id': '{agent}' }],
    ['POST', 'responses', () => '/v1/responses', { model: 'gpt-4o-mini', input: 'steal', max_output_tokens: 5 }, { 'x-cynsta-agent-id': '{agent}' }],
    ['POST', 'embeddings', () => '/v1/embeddings', { model: 'text-embedding-3-small', input: 'steal' }, { 'x-cynsta-agent-id': '{agent}' }],
    ['POST', 'messages', () => '/v1/messages', { model: 'claude-opus-4-6', max_tokens: 5, messages: chat.messages }, { 'x-cynsta-agent-id': '{agent}' }],
    ['POST', 'gemini', () => '/v1beta/models/gemini-3-pro-preview:generateContent', { contents: [{ parts: [{ text: 'steal' }] }] }, { 'x-cynsta-agent-id': '{agent}' }],
    ['POST', 'explicit run route', (x) => `/v1/agents/${x.agent}/runs/${x.run}/openai/chat/completions`, chat],
  ];
  const seen: string[] = [];
  afterAll(() => recordFigures('security-isolation', { routes_checked: seen.length, instances: 3, answer: '404, nothing changed, provider not called', routes: seen }));

  // Every row padded to five cells: jest takes a test function with more parameters than the row
  // has cells for one that waits for a `done` callback.
  it.each(MATRIX.map(([m, w, p, b, h]) => [m, w, p, b, h] as const))('%s %s of tenant A is 404 for tenant B, on every instance, and changes nothing', async (method, what, path, body, headers) => {
    const before = await snapshotDatabase(c.pool);
    const calls = c.fake.requestCount;
    for (const instance of c.instances) {
      const client = instance.http.withHeaders({ 'x-api-key': b.secret });
      const h = Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, v.replace('{agent}', a.agent)]));
      const res = await client.request(method, path(a), { body, headers: h });
      expect({ what, status: res.status }).toEqual({ what, status: 404 });
      expect(res.text).not.toContain('a-agent'); // nothing of A's in the answer
    }
    const after = await snapshotDatabase(c.pool);
    expect(after).toEqual(before);
    expect(c.fake.requestCount).toBe(calls);
    seen.push(`${method} ${what}`);
  });

  it("lists nothing of tenant A's", async () => {
    const list = await b.admin.get('/v1/agents?limit=500&include_deleted=true');
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(a.agent);
    const keys = await b.admin.get('/v1/api-keys');
    expect(keys.text).not.toContain(a.keyId);
  });

  // Last: it gives B an agent of the same id. Agent ids are per tenant, so B's budget set on A's
  // id makes B's own agent (as the seed's store made a budget's agent) and touches nothing of A's.
  it("a budget set on tenant A's agent id makes B's own agent and changes nothing of A's", async () => {
    const ofA = async () =>
      (
        await c.pool.query(
          `SELECT (SELECT row_to_json(x)::text FROM budgets x WHERE tenant_id = $1 AND agent_id = $2) AS budget,
                  (SELECT count(*)::int FROM ledger_entries WHERE tenant_id = $1 AND agent_id = $2) AS entries`,
          [a.tenantId, a.agent],
        )
      ).rows[0];
    const before = await ofA();
    for (const instance of c.instances) {
      const res = await instance.http.withHeaders({ 'x-api-key': b.secret }).post(`/v1/agents/${a.agent}/budget`, { hard_limit_cents: 1_000_000 });
      expect(res.status).toBe(200);
    }
    expect(await ofA()).toEqual(before);
    const bs = await c.pool.query('SELECT tenant_id FROM agents WHERE id = $1 ORDER BY tenant_id', [a.agent]);
    expect(bs.rows.map((r) => r.tenant_id).sort()).toEqual([a.tenantId, b.tenantId].sort());
  });
});

it('stops a revoked key on every instance within a second', async () => {
  const key = (await a.admin.post('/v1/api-keys', { name: 'to-revoke', scopes: ['read'] })).body;
  secrets.push(key.secret);
  const users = c.instances.map((i) => i.http.withHeaders({ 'x-api-key': key.secret }));
  for (const u of users) expect((await u.get('/v1/agents')).status).toBe(200); // cached everywhere
  const revokedAt = Date.now();
  expect((await a.admin.delete(`/v1/api-keys/${key.id}`)).status).toBe(200);
  const refusedAfterMs = await Promise.all(
    users.map(async (u) => {
      for (;;) {
        const status = (await u.get('/v1/agents')).status;
        if (status === 401) return Date.now() - revokedAt;
        expect(status).toBe(200);
        if (Date.now() - revokedAt > 3_000) throw new Error('still accepted 3 s after revocation');
        await sleep(25);
      }
    }),
  );
  for (const ms of refusedAfterMs) expect(ms).toBeLessThanOrEqual(1_100);
  recordFigures('security-revocation', { instances: 3, refused_after_ms_per_instance: refusedAfterMs, limit_ms: 1_000 });
});

it('stores API keys only as SHA-256 hashes and provider keys only encrypted', async () => {
  const { rows } = await c.pool.query(`
    SELECT string_agg(t::text, ' ') AS dump FROM (
      SELECT row_to_json(x)::text AS t FROM api_keys x UNION ALL SELECT row_to_json(x)::text FROM provider_keys x
      UNION ALL SELECT row_to_json(x)::text FROM tenants x UNION ALL SELECT row_to_json(x)::text FROM ledger_entries x
      UNION ALL SELECT row_to_json(x)::text FROM reservations x UNION ALL SELECT row_to_json(x)::text FROM idempotency_keys x
      UNION ALL SELECT row_to_json(x)::text FROM runs x) s`);
  const dump: string = rows[0].dump;
  expect(dump.length).toBeGreaterThan(1_000);
  for (const secret of [...secrets, TENANT_PROVIDER_KEY, ...Object.values(PROVIDER_KEYS), OPERATOR_KEY]) {
    expect(dump.includes(secret)).toBe(false);
  }
  expect(dump).not.toContain(PROMPT); // prompts are not stored unless CAP_CAPTURE_PROMPT_RESPONSE
  recordFigures('security-storage', { bytes_of_rows_searched: dump.length, secrets_searched: secrets.length + 2 + Object.keys(PROVIDER_KEYS).length, found: 0 });
});

it('never logs provider keys, API keys or prompts, even at trace level and on failures', async () => {
  const as = { headers: { 'x-cynsta-agent-id': a.agent } };
  const failing = [
    { status: 500 },
    { status: 400, errorMessage: PROMPT },
    { resetConnection: true },
  ];
  for (const behavior of failing) {
    c.fake.enqueue(behavior);
    await c.clients[0].request('POST', '/v1/chat/completions', {
      body: { model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: PROMPT }] },
      headers: { ...as.headers, 'x-api-key': a.secret },
    });
  }
  await a.admin.post('/v1/chat/completions', { model: 'unknown-model', messages: [{ role: 'user', content: PROMPT }] }, as);
  await a.admin.post('/v1/chat/completions', { model: 'gpt-4o-mini', max_tokens: 5, stream: true, messages: [{ role: 'user', content: PROMPT }] }, as);
  await c.instances[2].http.get('/v1/agents', { headers: { 'x-api-key': `${a.secret}x` } });
  await c.instances[2].http.get('/v1/agents', { headers: { authorization: `Bearer ${PROVIDER_KEYS.OPENAI_API_KEY}` } });
  await sleep(200);
  const logs = c.instances.map((i) => i.output()).join('\n');
  expect(logs).toMatch(/request_id|reqId/); // the logs were captured, at a level that logs requests
  const leaks = [...secrets, TENANT_PROVIDER_KEY, ...Object.values(PROVIDER_KEYS), OPERATOR_KEY, PROMPT].filter((s) => logs.includes(s));
  expect(leaks).toEqual([]);
  recordFigures('security-logs', { log_level: 'trace', log_bytes_searched: logs.length, log_lines: logs.split('\n').length, secrets_and_prompts_searched: secrets.length + Object.keys(PROVIDER_KEYS).length + 3, found: leaks.length });
});

describe('failed authentications', () => {
  const LIMIT = 5;
  const WINDOW_SECONDS = 2;
  let limited: HttpClient;
  beforeAll(async () => {
    const instance = await c.spawn({ CAP_AUTH_FAILURE_LIMIT: String(LIMIT), CAP_AUTH_FAILURE_WINDOW_SECONDS: String(WINDOW_SECONDS), CAP_LOG_LEVEL: 'warn' });
    limited = instance.http;
  }, 60_000);

  it(`are refused with 429 and Retry-After past ${LIMIT} in a window, valid key or not, until the window ends`, async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) statuses.push((await limited.get('/v1/agents', { headers: { 'x-api-key': `sk_cynsta_live_${'Z'.repeat(31)}${i}` } })).status);
    expect(statuses).toEqual(Array(LIMIT).fill(401));
    const refused = await limited.get('/v1/agents', { headers: { 'x-api-key': 'guess' } });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ detail: expect.any(String), error: { type: 'rate_limit_error', code: 'rate_limited' } });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const valid = await limited.get('/v1/agents', { headers: { 'x-api-key': a.secret } });
    expect(valid.status).toBe(429); // a right guess is refused too: guessing gains nothing
    expect((await limited.get('/health')).status).toBe(200);
    await sleep(Number(refused.headers.get('retry-after')) * 1000 + 100);
    expect((await limited.get('/v1/agents', { headers: { 'x-api-key': a.secret } })).status).toBe(200);
    recordFigures('security-auth-rate-limit', {
      limit: LIMIT,
      window_seconds: WINDOW_SECONDS,
      statuses_before_limit: statuses,
      status_past_limit: refused.status,
      retry_after_seconds: Number(refused.headers.get('retry-after')),
      valid_key_during_lockout: valid.status,
      valid_key_after_window: 200,
    });
  }, 30_000);

  it('are counted and refused on the metered routes too', async () => {
    await sleep(WINDOW_SECONDS * 1000 + 100);
    const body = { model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] };
    const headers = (key: string) => ({ headers: { 'x-api-key': key, 'x-cynsta-agent-id': a.agent } });
    const statuses: number[] = [];
    for (let i = 0; i <= LIMIT; i++) statuses.push((await limited.post('/v1/chat/completions', body, headers(`wrong-${i}`))).status);
    expect(statuses).toEqual([...Array(LIMIT).fill(401), 429]);
    expect((await limited.get('/v1/agents', { headers: { 'x-api-key': a.secret } })).status).toBe(429);
  }, 30_000);
});
