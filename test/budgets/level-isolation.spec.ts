// SPEC §7 and §10 in hosted mode: a tenant can neither see nor spend another tenant's tenant
// budget or run budgets. Both tenants name their agent `bot` (agent ids are per tenant, as the
// seed's were), so only the tenant tells the two paths apart: B's calls under A's run id hold on
// B's rows alone, B reads none of A's figures, and nothing of A's changes.
import { Pool } from 'pg';
import { useProxyStack } from '../support/proxy-stack';
import { HttpClient } from '../support/test-app';

const OPERATOR_KEY = 'operator-key-level-isolation-0123456789';
const s = useProxyStack({ redis: true, env: { CAP_MODE: 'hosted', CAP_API_KEY: OPERATOR_KEY } });
const chat = (extra: Record<string, unknown> = {}) => ({ model: 'gpt-4o-mini', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], ...extra });

async function newTenant(name: string): Promise<{ id: string; http: HttpClient }> {
  const res = await s.http.post('/v1/tenants', { name }, { headers: { 'x-api-key': OPERATOR_KEY } });
  expect(res.status).toBe(201);
  return { id: res.body.tenant_id, http: s.http.withHeaders({ 'x-api-key': res.body.api_key.secret }) };
}

/** Every budget row and ledger entry of a tenant, as stored. */
async function tenantState(pool: Pool, tenantId: string) {
  const budgets = await pool.query('SELECT * FROM budgets WHERE tenant_id = $1 ORDER BY id', [tenantId]);
  const entries = await pool.query('SELECT id FROM ledger_entries WHERE tenant_id = $1 ORDER BY id', [tenantId]);
  return { budgets: budgets.rows, entries: entries.rows.map((r) => r.id) };
}

it("another tenant's tenant budget and run budgets: 404 (403 on the operator's routes), never spent, nothing changed", async () => {
  const a = await newTenant('levels-a');
  const b = await newTenant('levels-b');
  const op = s.http.withHeaders({ 'x-api-key': OPERATOR_KEY });
  expect((await op.post(`/v1/tenants/${a.id}/budget`, { hard_limit_cents: 100 })).status).toBe(200);
  for (const t of [a, b]) {
    expect((await t.http.request('PUT', '/v1/agents/bot', { body: { concurrency: 'parallel' } })).status).toBe(201);
    expect((await t.http.post('/v1/agents/bot/budget', { hard_limit_cents: 100 })).status).toBe(200);
  }
  const run = (await a.http.post('/v1/agents/bot/runs', { budget_cents: 1 })).body.run_id;
  expect(run).toBeTruthy();
  const before = await tenantState(s.t.pool, a.id);

  // Reading: A's run is not B's, A's tenant budget is the operator's to read.
  for (const path of [`/v1/agents/bot/runs/${run}`, `/v1/agents/bot/runs/${run}/ledger`]) {
    const res = await b.http.get(path);
    expect([path, res.status, res.body.error?.code]).toEqual([path, 404, 'run_not_found']);
  }
  for (const [method, path, body] of [
    ['GET', `/v1/tenants/${a.id}/budget`],
    ['POST', `/v1/tenants/${a.id}/budget`, { hard_limit_cents: 5 }],
    ['POST', `/v1/tenants/${a.id}/budget/topup`, { amount_cents: 5 }],
    ['GET', `/v1/tenants/${a.id}/ledger`],
  ] as [string, string, unknown?][]) {
    const res = await b.http.request(method, path, body === undefined ? {} : { body });
    expect([method, path, res.status, res.body.error?.code]).toEqual([method, path, 403, 'operator_only']);
  }
  // B's own tenant budget is B's: none was set.
  const own = await b.http.get('/v1/tenant/budget');
  expect([own.status, own.body.error?.code]).toEqual([404, 'budget_not_found']);
  expect((await b.http.get('/v1/tenant/ledger')).body.entries).toEqual([]);
  // B cannot set its own either (hosted: the operator's), so it cannot touch any tenant's.
  expect((await b.http.post('/v1/tenant/budget', { hard_limit_cents: 5 })).body.error.code).toBe('tenant_budget_operator_only');

  // Spending: B's calls under A's run id hold on B's agent alone; A's 1 ¢ run budget and 100 ¢
  // tenant budget would have refused this call (≈ 70 ¢ worst case).
  const res = await b.http.post('/v1/chat/completions', chat({ model: 'gpt-5.2', max_tokens: 500 }), {
    headers: { 'x-cynsta-agent-id': 'bot', 'x-cynsta-run-id': run, 'x-cynsta-clamp': 'off' },
  });
  expect(res.status).toBe(200);
  const estimate = await b.http.post('/v1/agents/bot/estimate', { provider: 'openai', operation: 'chat.completions', run_id: run, ...chat() });
  expect(estimate.body.levels.map((l: { level: string }) => l.level)).toEqual(['agent']);
  expect(await tenantState(s.t.pool, a.id)).toEqual(before);

  // And A's own call under its run is still held to A's 1 ¢.
  const refused = await a.http.post('/v1/chat/completions', chat({ model: 'gpt-5.2', max_tokens: 5_000 }), {
    headers: { 'x-cynsta-agent-id': 'bot', 'x-cynsta-run-id': run, 'x-cynsta-clamp': 'off' },
  });
  expect(refused.body).toMatchObject({ level: 'run', level_id: run });
});
