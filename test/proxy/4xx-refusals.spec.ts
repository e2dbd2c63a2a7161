// Calls refused before anything is reserved or sent upstream (SPEC §4 rules 2, 4, 6; §2 codes):
// 400 unknown model / bad input, 402 insufficient budget, 404 unknown agent or budget.
import { useProxyStack } from '../support/proxy-stack';

const s = useProxyStack();

const as = (agent: string, extra: Record<string, string> = {}) => ({ headers: { 'x-cynsta-agent-id': agent, ...extra } });
const chat = (extra: Record<string, unknown> = {}) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...extra });

async function holds(agent: string): Promise<number> {
  const { rows } = await s.t.pool.query("SELECT count(*)::int AS n FROM ledger_entries WHERE agent_id = $1 AND kind = 'reserve'", [agent]);
  return rows[0].n;
}

describe('400', () => {
  it.each([
    ['an unknown model', () => chat({ model: 'gpt-unknown-9' }), {}, 'unknown_model'],
    ['no model', () => ({ messages: [] }), {}, 'validation_failed'],
    ['a body that is not an object', () => [1, 2], {}, 'validation_failed'],
    ['a negative max_tokens', () => chat({ max_tokens: -5 }), {}, 'validation_failed'],
    ['a bad run id', () => chat(), { 'x-cynsta-run-id': 'has spaces' }, 'validation_failed'],
    ['a bad x-cynsta-clamp', () => chat(), { 'x-cynsta-clamp': 'maybe' }, 'validation_failed'],
  ])('refuses %s, reserves nothing, calls nobody', async (_name, body, headers, code) => {
    const agent = await s.agent(100);
    const res = await s.http.post('/v1/chat/completions', body(), as(agent, headers as Record<string, string>));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ detail: expect.any(String), error: { code } });
    expect(await holds(agent)).toBe(0);
    expect(s.fake.requestCount).toBe(0);
  });

  it.each([
    ['/v1/chat/completions', '{"model":"gpt-4o-mini","messages":[],"metadata":'],
    ['/v1beta/models/gemini-2.5-flash:generateContent', '{"contents":[],"x":'],
  ])('refuses a body nested 10,000 deep on %s before reserving anything', async (path, head) => {
    const agent = await s.agent(100);
    // Written by hand: JSON.stringify itself cannot write this deep.
    const rawBody = `${head}${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`;
    const res = await s.http.request('POST', path, { rawBody, headers: { 'content-type': 'application/json', 'x-cynsta-agent-id': agent } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'validation_failed', message: expect.stringContaining('nests deeper than 256') } });
    expect(await holds(agent)).toBe(0);
    expect(s.fake.requestCount).toBe(0);
  });

  it('refuses a header-routed call without x-cynsta-agent-id (the seed)', async () => {
    const res = await s.http.post('/v1/chat/completions', chat());
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ detail: expect.stringContaining('x-cynsta-agent-id'), error: { code: 'missing_agent_header' } });
  });

  it('answers unknown models in the shape the OpenAI SDK reads (error.message)', async () => {
    const agent = await s.agent(100);
    const res = await s.http.post('/v1/chat/completions', chat({ model: 'nope' }), as(agent));
    expect(res.body.error.message).toContain("model 'nope'");
  });
});

describe('402 and the clamp', () => {
  it('shrinks the output cap to what the budget affords, and says so', async () => {
    // 1 cent = 1,000,000 µ¢: at 1,400 µ¢ per output token, ~714 tokens minus input (well under
    // the 16,384 of CAP_OPENAI_MAX_COMPLETION_TOKENS, so the budget is what shrinks it).
    const agent = await s.agent(1);
    const res = await s.http.post('/v1/chat/completions', chat({ model: 'gpt-5.2', max_tokens: 100_000 }), as(agent));
    expect(res.status).toBe(200);
    const cap = Number(res.headers.get('x-cynsta-max-tokens'));
    expect(cap).toBeLessThan(714);
    expect(cap).toBeGreaterThan(600);
    expect(s.fake.received.at(-1)!.body).toMatchObject({ max_tokens: cap });
    expect(Number(res.headers.get('x-cynsta-reserved-cents'))).toBeLessThanOrEqual(1);
  });

  it('with x-cynsta-clamp: off answers 402 instead of shrinking', async () => {
    const agent = await s.agent(1);
    const res = await s.http.post('/v1/chat/completions', chat({ model: 'gpt-5.2', max_tokens: 100_000 }), as(agent, { 'x-cynsta-clamp': 'off' }));
    expect(res.status).toBe(402);
    expect(res.body).toMatchObject({ error: { type: 'insufficient_budget', code: 'insufficient_budget' }, remaining_cents: 1 });
    expect(res.body.required_cents).toBeGreaterThan(1);
    expect(await holds(agent)).toBe(0);
    expect(s.fake.requestCount).toBe(0);
  });

  it('answers 402 when not even one output token is affordable', async () => {
    const agent = await s.agent(1);
    await s.t.pool.query('UPDATE budgets SET remaining_microcents = 100, spent_microcents = spent_microcents + (remaining_microcents - 100) WHERE agent_id = $1', [agent]);
    const res = await s.http.post('/v1/chat/completions', chat(), as(agent));
    expect(res.status).toBe(402);
    // The seed's detail (the prompt alone does not fit), our sentence in error.message.
    expect(res.body).toMatchObject({ detail: 'Insufficient budget for request input', remaining_cents: 0, required_cents: expect.any(Number) });
    expect(res.body.error.message).toContain('insufficient budget');
    expect(s.fake.requestCount).toBe(0);
    // Keep the ledger able to explain the figures the test forced.
    await s.t.pool.query('UPDATE budgets SET remaining_microcents = remaining_microcents + (spent_microcents - 0), spent_microcents = 0 WHERE agent_id = $1', [agent]);
  });

  it('charges a cost above the hold as an overrun and then refuses the agent until topped up', async () => {
    const agent = await s.agent(1);
    s.fake.setBehavior({ usage: { input: 200_000, output: 10 } }); // far more input than the prompt could be
    const first = await s.http.post('/v1/chat/completions', chat({ max_tokens: 10 }), as(agent));
    expect(first.status).toBe(200);
    const { rows } = await s.t.pool.query("SELECT kind, amount_microcents FROM ledger_entries WHERE agent_id = $1 AND kind IN ('settle', 'overrun') ORDER BY seq", [agent]);
    expect(rows.map((r) => r.kind)).toEqual(['settle', 'overrun']);
    expect(rows.reduce((sum, r) => sum - BigInt(r.amount_microcents), 0n)).toBe(BigInt(200_000 * 15 + 10 * 60));
    const budget = await s.http.get(`/v1/agents/${agent}/budget`);
    expect(budget.body.remaining_microcents).toBe(String(1_000_000 - (200_000 * 15 + 10 * 60)));

    const blocked = await s.http.post('/v1/chat/completions', chat({ max_tokens: 10 }), as(agent));
    expect(blocked.status).toBe(402);
    await s.http.post(`/v1/agents/${agent}/budget`, { hard_limit_cents: 10, topup_cents: 5 });
    s.fake.setBehavior({ usage: { input: 5, output: 5 } });
    expect((await s.http.post('/v1/chat/completions', chat({ max_tokens: 10 }), as(agent))).status).toBe(200);
  });
});

describe('404', () => {
  it('answers 404 for an unknown agent, a deleted one, and one without a budget', async () => {
    const unknown = await s.http.post('/v1/chat/completions', chat(), as('00000000-0000-4000-8000-000000000000'));
    expect(unknown.status).toBe(404);
    const deleted = await s.agent(100);
    await s.http.delete(`/v1/agents/${deleted}`);
    expect((await s.http.post('/v1/chat/completions', chat(), as(deleted))).status).toBe(404);
    const { body } = await s.http.post('/v1/agents', { name: 'no-budget' });
    const noBudget = await s.http.post('/v1/chat/completions', chat(), as(body.agent_id));
    expect(noBudget.status).toBe(404);
    expect(noBudget.body.error.code).toBe('budget_not_found');
    expect(s.fake.requestCount).toBe(0);
  });
});
