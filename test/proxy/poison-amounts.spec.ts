// Issue 10.2: no amount can break the ledger, and no caller can break another. Amounts are checked
// in BigInt before any SQL: a field past any real value is 400, a hold no budget could hold is 402
// (or clamped, as the seed clamps), and such a request never fails anyone else's call, even when
// their holds would have shared a statement.
import { HttpClient } from '../support/test-app';
import { useProxyStack } from '../support/proxy-stack';

const OPERATOR_KEY = 'operator-key-for-poison-tests-0123';
const s = useProxyStack({ redis: true, env: { CAP_MODE: 'hosted', CAP_API_KEY: OPERATOR_KEY } });

const HUGE = 2 ** 53 - 1;

async function tenantAgent(name: string, limitCents: number): Promise<{ http: HttpClient; agent: string }> {
  const operator = s.http.withHeaders({ 'x-api-key': OPERATOR_KEY });
  const tenant = await operator.post('/v1/tenants', { name });
  expect(tenant.status).toBe(201);
  const http = s.http.withHeaders({ 'x-api-key': tenant.body.api_key.secret });
  const agent = await http.post('/v1/agents', { name, concurrency: 'parallel' });
  await http.post(`/v1/agents/${agent.body.agent_id}/budget`, { hard_limit_cents: limitCents });
  return { http, agent: agent.body.agent_id };
}

const chat = (extra: Record<string, unknown>) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...extra });

it('refuses amounts past any real value with a 4xx, before anything is held', async () => {
  const { http, agent } = await tenantAgent('poison-alone', 100);
  const as = { headers: { 'x-cynsta-agent-id': agent } };
  const n = await http.post('/v1/chat/completions', chat({ n: HUGE, max_tokens: 5 }), as);
  expect(n.status).toBe(400);
  expect(n.body.error.code).toBe('validation_failed');
  const candidates = await http.post('/v1beta/models/gemini-3-pro-preview:generateContent', { contents: [{ parts: [{ text: 'hi' }] }], generationConfig: { candidateCount: HUGE } }, as);
  expect(candidates.status).toBe(400);
  expect((await http.post('/v1/chat/completions', chat({ n: 129 }), as)).status).toBe(400);
  expect((await http.post('/v1/chat/completions', chat({ n: 2.5 }), as)).status).toBe(400);

  // A cap no budget could hold: clamped to what the budget affords (the seed's clamp) …
  const clamped = await http.post('/v1/chat/completions', chat({ max_tokens: HUGE }), as);
  expect(clamped.status).toBe(200);
  expect(Number(clamped.headers.get('x-cynsta-max-tokens'))).toBeLessThan(HUGE);
  // … or, with the clamp off, refused as insufficient (Anthropic: no CAP_OPENAI_MAX_COMPLETION_TOKENS
  // stands between the request and the budget).
  const unclamped = await http.post(
    '/v1/messages',
    { model: 'claude-opus-4-6', max_tokens: HUGE, messages: [{ role: 'user', content: 'hi' }] },
    { headers: { ...as.headers, 'x-cynsta-clamp': 'off' } },
  );
  expect(unclamped.status).toBe(402);
  expect(unclamped.body.error.code).toBe('insufficient_budget');
  const budget = (await http.get(`/v1/agents/${agent}/budget`)).body;
  expect(budget).toMatchObject({ in_flight: 0, reserved_microcents: '0' });
});

it("one tenant's poison requests among another tenant's 300 concurrent calls fail alone", async () => {
  const attacker = await tenantAgent('attacker', 100);
  const victim = await tenantAgent('victim', 1_000_000);
  const poison = [
    chat({ n: HUGE, max_tokens: 5 }),
    chat({ max_tokens: HUGE }),
    chat({ max_tokens: HUGE, n: 128 }),
  ];
  const attacks = Array.from({ length: 30 }, (_, i) =>
    attacker.http.post('/v1/chat/completions', poison[i % poison.length], { headers: { 'x-cynsta-agent-id': attacker.agent, 'x-cynsta-clamp': i % 2 ? 'off' : 'on' } }),
  );
  const calls = Array.from({ length: 300 }, () => victim.http.post('/v1/chat/completions', chat({ max_tokens: 20 }), { headers: { 'x-cynsta-agent-id': victim.agent } }));
  const [attacked, served] = await Promise.all([Promise.all(attacks), Promise.all(calls)]);

  expect(served.map((r) => r.status)).toEqual(Array(300).fill(200));
  for (const r of attacked) expect([200, 400, 402]).toContain(r.status);
  expect(attacked.filter((r) => r.status >= 500)).toEqual([]);
  const budget = (await victim.http.get(`/v1/agents/${victim.agent}/budget`)).body;
  expect(budget).toMatchObject({ in_flight: 0, reserved_microcents: '0' });
});
