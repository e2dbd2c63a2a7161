// Every call has an absolute deadline (issue 10.1): CAP_UPSTREAM_TIMEOUT_MS bounds the whole call,
// not only each wait, so a provider that keeps streaming forever cannot keep a hold or an agent
// lock alive. At the deadline the stream is cut and charged for what it produced.
import { useProxyStack } from '../support/proxy-stack';

const s = useProxyStack({ redis: true, env: { CAP_UPSTREAM_TIMEOUT_MS: '1000', CAP_SETTLE_GRACE_MS: '500', CAP_LOCK_TTL_MS: '30000' } });

const body = { model: 'gpt-4o-mini', max_tokens: 5_000, stream: true, messages: [{ role: 'user', content: 'go on forever' }] };

it.each(['exclusive', 'parallel'] as const)('%s: a stream still flowing at the deadline is cut, charged for what it produced, and freed', async (mode) => {
  const agent = await s.agent(100, { concurrency: mode });
  // 5,000 tokens at one per 20 ms: a hundred seconds of stream, never idle for long.
  s.fake.enqueue({ usage: { output: 5_000 }, chunkDelayMs: 20 }, { route: 'openai.chat' });
  const t0 = Date.now();
  const res = await fetch(`${s.t.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-cynsta-agent-id': agent },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  const text = await res.text();
  const took = Date.now() - t0;
  expect(took).toBeLessThan(2_500);
  expect(text).toContain('"delta"');

  const budget = (await s.http.get(`/v1/agents/${agent}/budget`)).body;
  expect(budget).toMatchObject({ in_flight: 0, reserved_microcents: '0' });
  const { rows } = await s.t.pool.query("SELECT kind, details FROM ledger_entries WHERE agent_id = $1 AND kind IN ('settle', 'expire')", [agent]);
  expect(rows).toEqual([{ kind: 'settle', details: expect.objectContaining({ cut_short: 'deadline' }) }]);
  expect(BigInt(budget.spent_microcents)).toBeGreaterThan(0n);

  const next = await s.http.post('/v1/chat/completions', { ...body, stream: false, max_tokens: 5 }, { headers: { 'x-cynsta-agent-id': agent } });
  expect(next.status).toBe(200);
});

it('a provider that never answers gets 504 at the deadline, with the hold released', async () => {
  const agent = await s.agent(100);
  s.fake.enqueue({ latencyMs: 10_000 }, { route: 'openai.chat' });
  const t0 = Date.now();
  const res = await s.http.post('/v1/chat/completions', { ...body, stream: false }, { headers: { 'x-cynsta-agent-id': agent } });
  expect(res.status).toBe(504);
  expect(res.body.error.code).toBe('upstream_timeout');
  expect(Date.now() - t0).toBeLessThan(2_500);
  expect((await s.http.get(`/v1/agents/${agent}/budget`)).body).toMatchObject({ in_flight: 0, reserved_microcents: '0', spent_microcents: '0' });
});
