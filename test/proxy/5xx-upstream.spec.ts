// SPEC §4 rules 8-9 and fail-closed pricing: upstream 4xx passes through, 5xx / network errors
// become 502, timeouts 504, each with the hold released and a ledger entry; a stream cut short is
// charged for what it produced, never zero.
import { startProxyStack, useProxyStack } from '../support/proxy-stack';

const s = useProxyStack({ env: { CAP_UPSTREAM_TIMEOUT_MS: '1000' } });

const as = (agent: string) => ({ headers: { 'x-cynsta-agent-id': agent } });
const chat = (extra: Record<string, unknown> = {}) => ({ model: 'gpt-4o-mini', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }], ...extra });

async function ledger(agent: string) {
  const { rows } = await s.t.pool.query('SELECT kind, amount_microcents, details FROM ledger_entries WHERE agent_id = $1 AND kind <> $2 ORDER BY seq', [agent, 'limit_set']);
  return rows;
}

async function budget(agent: string) {
  return (await s.http.get(`/v1/agents/${agent}/budget`)).body;
}

it('passes a provider 4xx through unchanged and releases the hold', async () => {
  const agent = await s.agent(100);
  s.fake.enqueue({ status: 429, errorMessage: 'Rate limit reached', headers: { 'retry-after': '3' } });
  const res = await s.http.post('/v1/chat/completions', chat(), as(agent));
  expect(res.status).toBe(429);
  expect(res.body.error.message).toBe('Rate limit reached');
  const entries = await ledger(agent);
  expect(entries.map((e) => e.kind)).toEqual(['reserve', 'release']);
  expect(entries[1].details).toMatchObject({ reason: 'upstream_refused', upstream_status: 429 });
  expect(await budget(agent)).toMatchObject({ remaining_cents: 100, spent_cents: 0, in_flight: 0 });
});

it.each([
  ['a 5xx', { status: 503 }, 502, 'upstream_error'],
  ['a connection reset', { resetConnection: true }, 502, 'upstream_failed'],
  ['no answer within CAP_UPSTREAM_TIMEOUT_MS', { latencyMs: 2_000 }, 504, 'upstream_failed'],
])('answers %s with %i, releases the hold and records it', async (_name, behavior, status, reason) => {
  const agent = await s.agent(100);
  s.fake.enqueue(behavior);
  const res = await s.http.post('/v1/chat/completions', chat(), as(agent));
  expect(res.status).toBe(status);
  expect(res.body.error.type).toBe('upstream_error');
  const entries = await ledger(agent);
  expect(entries.map((e) => e.kind)).toEqual(['reserve', 'release']);
  expect(entries[1].details.reason).toBe(reason);
  expect(await budget(agent)).toMatchObject({ remaining_cents: 100, spent_cents: 0, in_flight: 0 });
});

it('charges the whole hold when a 200 answer is not JSON (its usage is unknown)', async () => {
  const agent = await s.agent(100);
  s.fake.enqueue({ malformedJson: true });
  const res = await s.http.post('/v1/chat/completions', chat(), as(agent));
  expect(res.status).toBe(200);
  const entries = await ledger(agent);
  expect(entries.map((e) => e.kind)).toEqual(['reserve', 'settle']);
  expect(entries[1].amount_microcents).toBe(entries[0].amount_microcents);
  expect(entries[1].details.reason).toBe('answer_not_json');
});

it.each([
  ['the provider cuts the stream', { disconnectAfterChunks: 4, tokensPerChunk: 1, usage: { output: 40 } }],
  ['the stream reports no usage', { omitUsage: true, tokensPerChunk: 1, usage: { output: 6 } }],
])('charges what was produced, never zero, when %s', async (_name, behavior) => {
  const agent = await s.agent(100);
  s.fake.enqueue(behavior);
  const res = await s.http.post('/v1/chat/completions', chat({ stream: true }), as(agent)).catch(() => null);
  void res;
  let entries = await ledger(agent);
  for (let i = 0; i < 20 && !entries.some((e) => e.kind === 'settle'); i++) {
    await new Promise((r) => setTimeout(r, 50));
    entries = await ledger(agent);
  }
  const settle = entries.find((e) => e.kind === 'settle');
  expect(settle).toBeDefined();
  expect(BigInt(settle.amount_microcents)).toBeLessThan(0n);
  expect(settle.details.basis).toBe('estimated');
  expect((await budget(agent)).in_flight).toBe(0);
});

it('charges a stream the client walked away from for what it produced', async () => {
  const agent = await s.agent(100);
  s.fake.enqueue({ chunkDelayMs: 40, tokensPerChunk: 1, usage: { output: 50 } });
  const controller = new AbortController();
  const res = await fetch(`${s.t.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-cynsta-agent-id': agent },
    body: JSON.stringify(chat({ stream: true })),
    signal: controller.signal,
  });
  const reader = res.body!.getReader();
  await reader.read();
  await reader.read();
  controller.abort();
  let entries = await ledger(agent);
  for (let i = 0; i < 40 && !entries.some((e) => e.kind === 'settle'); i++) {
    await new Promise((r) => setTimeout(r, 50));
    entries = await ledger(agent);
  }
  const settle = entries.find((e) => e.kind === 'settle');
  expect(settle.details).toMatchObject({ cut_short: 'client_disconnected' });
  expect(BigInt(settle.amount_microcents)).toBeLessThan(0n);
  // Far less than the 50 tokens it would have produced had the client stayed.
  expect(-BigInt(settle.amount_microcents)).toBeLessThan(BigInt(50 * 60 + 10_000 * 15));
  expect(s.fake.received.at(-1)!.clientAborted).toBe(true);
});

it('answers 503 provider_not_configured when the provider has no key, reserving nothing', async () => {
  const bare = await startProxyStack({ env: { ANTHROPIC_API_KEY: '' } });
  try {
    const agent = await bare.agent(100);
    const res = await bare.http.post('/v1/messages', { model: 'claude-opus-4-6', max_tokens: 5, messages: [] }, as(agent));
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('provider_not_configured');
    const { rows } = await bare.t.pool.query("SELECT count(*)::int AS n FROM ledger_entries WHERE kind = 'reserve'");
    expect(rows[0].n).toBe(0);
  } finally {
    await bare.close();
  }
});

it('answers 503 pricing_unavailable on metered routes without a verified table; the admin API keeps working', async () => {
  const { VECTORS_DIR } = await import('../support/pricing-fixtures');
  const { startProxyStack } = await import('../support/proxy-stack');
  const closed = await startProxyStack({ env: { CAP_PRICING_FILE: `${VECTORS_DIR}/tampered-rate.json` } });
  try {
    const agent = await closed.agent(100);
    const res = await closed.http.post('/v1/chat/completions', chat(), as(agent));
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('pricing_unavailable');
    expect(closed.fake.requestCount).toBe(0);
    expect((await closed.http.get(`/v1/agents/${agent}/budget`)).body).toMatchObject({ remaining_cents: 100, in_flight: 0 });
  } finally {
    await closed.close();
  }
});
