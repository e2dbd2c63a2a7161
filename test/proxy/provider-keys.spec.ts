// Hosted tenants bring their own provider keys (SPEC §3 /v1/provider-keys, §4): stored
// encrypted, never returned, used for that tenant's calls only.
import { randomBytes } from 'node:crypto';
import { HttpClient, expectLedgerBalanced } from '../support/test-app';
import { ProxyStack, startProxyStack } from '../support/proxy-stack';

const OPERATOR = 'operator-key-provider-keys-0123';
let s: ProxyStack;
let operator: HttpClient;

beforeAll(async () => {
  s = await startProxyStack({
    redis: true,
    env: {
      CAP_MODE: 'hosted',
      CAP_API_KEY: OPERATOR,
      CAP_PROVIDER_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      OPENAI_API_KEY: '', // no operator fallback: only tenants' own keys
    },
  });
  operator = s.http.withHeaders({ 'x-api-key': OPERATOR });
});
afterEach(() => expectLedgerBalanced(s.t.pool));
afterAll(() => s.close());

async function tenant(name: string) {
  const { body } = await operator.post('/v1/tenants', { name });
  const admin = s.http.withHeaders({ 'x-api-key': body.api_key.secret });
  const agent = (await admin.post('/v1/agents', { concurrency: 'parallel' })).body.agent_id;
  await admin.post(`/v1/agents/${agent}/budget`, { hard_limit_cents: 100 });
  return { admin, agent };
}

const chat = { model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] };

it("stores a tenant's key encrypted, never returns it, and calls the provider with it", async () => {
  const a = await tenant('byok-a');
  const b = await tenant('byok-b');
  const put = await a.admin.request('PUT', '/v1/provider-keys/openai', { body: { api_key: 'sk-tenant-a-openai-1234' } });
  expect(put.status).toBe(200);
  expect(put.body).toEqual({ provider: 'openai', last4: '1234', updated_at: expect.any(String) });
  expect(put.text).not.toContain('sk-tenant-a');
  const list = await a.admin.get('/v1/provider-keys');
  expect(list.body.provider_keys).toEqual([{ provider: 'openai', last4: '1234', updated_at: expect.any(String) }]);
  const { rows } = await s.t.pool.query('SELECT ciphertext FROM provider_keys');
  expect(JSON.stringify(rows)).not.toContain('sk-tenant-a');

  const call = await a.admin.post('/v1/chat/completions', chat, { headers: { 'x-cynsta-agent-id': a.agent } });
  expect(call.status).toBe(200);
  expect(s.fake.received.at(-1)!.apiKey).toBe('sk-tenant-a-openai-1234');

  // Tenant B has no key and no operator fallback: refused before anything is reserved.
  const refused = await b.admin.post('/v1/chat/completions', chat, { headers: { 'x-cynsta-agent-id': b.agent } });
  expect(refused.status).toBe(503);
  expect(refused.body.error.code).toBe('provider_not_configured');
  // B cannot see or delete A's key.
  expect((await b.admin.get('/v1/provider-keys')).body.provider_keys).toEqual([]);
  expect((await b.admin.delete('/v1/provider-keys/openai')).status).toBe(404);

  expect((await a.admin.delete('/v1/provider-keys/openai')).body).toEqual({ provider: 'openai', deleted: true });
  expect((await a.admin.post('/v1/chat/completions', chat, { headers: { 'x-cynsta-agent-id': a.agent } })).status).toBe(503);
});

it('refuses bad input and non-admin keys', async () => {
  const a = await tenant('byok-c');
  expect((await a.admin.request('PUT', '/v1/provider-keys/openai', { body: { api_key: 'x' } })).status).toBe(400);
  expect((await a.admin.request('PUT', '/v1/provider-keys/mistral', { body: { api_key: 'sk-0123456789' } })).status).toBe(404);
  const reader = (await a.admin.post('/v1/api-keys', { name: 'r', scopes: ['read'] })).body.secret;
  expect((await s.http.get('/v1/provider-keys', { headers: { 'x-api-key': reader } })).status).toBe(403);
});
