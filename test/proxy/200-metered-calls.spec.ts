// Successful metered calls (SPEC §4): every route, streaming and not; bodies pass through
// unchanged but for the output cap and the streaming-usage option; answers come back unchanged;
// the real cost is settled to the microcent and the rest of the hold released.
import { PricingService } from '../../src/pricing/pricing.service';
import { parseSse } from '../fake-provider/sse';
import { useProxyStack } from '../support/proxy-stack';

const s = useProxyStack();

/** A prompt whose input estimate surely covers the usage the fake is told to report. */
const LONG = 'lorem '.repeat(5_000);

const as = (agent: string, extra: Record<string, string> = {}) => ({ headers: { 'x-cynsta-agent-id': agent, ...extra } });

async function entries(agent: string) {
  const { rows } = await s.t.pool.query(
    'SELECT kind, amount_microcents, provider, model, price_version, usage, cost_breakdown, run_id FROM ledger_entries WHERE agent_id = $1 ORDER BY seq',
    [agent],
  );
  return rows;
}

describe('OpenAI chat completions, header-routed (the seed pattern)', () => {
  it('forwards the body unchanged but for the cap, answers unchanged, settles the exact cost', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 1000, output: 50 } });
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: LONG }], temperature: 0.3, top_p: 1, user: 'u-1', max_tokens: 200 };
    const res = await s.http.post('/v1/chat/completions', body, as(agent, { 'x-cynsta-run-id': 'run-a' }));
    expect(res.status).toBe(200);
    expect(res.body.object).toBe('chat.completion');
    expect(res.headers.get('x-cynsta-run-id')).toBe('run-a');
    expect(res.headers.get('x-cynsta-max-tokens')).toBe('200');
    // 1000 × 15 µ¢ + 50 × 60 µ¢ = 18,000 µ¢ → 1 cent (rounded up); remaining 99.98 → 99 (down).
    expect(res.headers.get('x-cynsta-cost-cents')).toBe('1');
    expect(res.headers.get('x-cynsta-remaining-cents')).toBe('99');
    expect(Number(res.headers.get('x-cynsta-reserved-cents'))).toBeGreaterThanOrEqual(1);
    const sent = s.fake.received.at(-1)!;
    expect(sent.body).toEqual(body);
    expect(sent.headers.authorization).toBe('Bearer sk-test-openai');

    const ledger = await entries(agent);
    expect(ledger.map((e) => [e.kind, e.amount_microcents])).toEqual([
      ['limit_set', '100000000'],
      ['reserve', ledger[1].amount_microcents],
      ['settle', '-18000'],
      ['release', String(-BigInt(ledger[1].amount_microcents) - 18000n)],
    ]);
    const version = s.t.app.get(PricingService).current()!.table.version;
    expect(ledger[2]).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', price_version: version, run_id: 'run-a' });
    expect(ledger[2].cost_breakdown.total_microcents).toBe('18000');
    const budget = await s.http.get(`/v1/agents/${agent}/budget`);
    expect(budget.body.spent_microcents).toBe('18000');
  });

  it('generates a run id when none is sent and echoes it', async () => {
    const agent = await s.agent(100);
    const res = await s.http.post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }, as(agent));
    expect(res.headers.get('x-cynsta-run-id')).toMatch(/^[0-9a-f-]{36}$/);
    const runs = await s.http.get(`/v1/agents/${agent}/runs`);
    expect(runs.body.runs[0]).toMatchObject({ run_id: res.headers.get('x-cynsta-run-id'), call_count: 1, status: 'idle' });
  });

  it('sets the default cap when the request has none, and tells the client what it sent', async () => {
    const agent = await s.agent(100);
    const res = await s.http.post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }, as(agent));
    expect(res.headers.get('x-cynsta-max-tokens')).toBe('4096');
    expect(s.fake.received.at(-1)!.body).toMatchObject({ max_completion_tokens: 4096 });
  });

  it('streams events as they come, hides the usage chunk the client did not ask for, and settles from it', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 400, output: 6 }, tokensPerChunk: 2 });
    const res = await s.http.post('/v1/chat/completions', { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: LONG }] }, as(agent));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = parseSse(res.text);
    expect(events.at(-1)!.data).toBe('[DONE]');
    const chunks = events.filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data));
    expect(chunks.some((c) => c.choices.length === 0)).toBe(false);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('tok tok tok tok tok tok ');
    expect(s.fake.received.at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const settle = (await entries(agent)).find((e) => e.kind === 'settle');
    expect(settle.amount_microcents).toBe(String(-(400 * 15 + 6 * 60)));
  });

  it('relays the usage chunk when the client asked for it', async () => {
    const agent = await s.agent(100);
    const res = await s.http.post(
      '/v1/chat/completions',
      { model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'x' }] },
      as(agent),
    );
    const chunks = parseSse(res.text).filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data));
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: expect.any(Number) } });
  });

  it('sends a model priced only under xAI to xAI, with the xAI key', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 100, output: 10 } });
    const res = await s.http.post('/v1/chat/completions', { model: 'grok-3', messages: [{ role: 'user', content: LONG }] }, as(agent));
    expect(res.status).toBe(200);
    expect(s.fake.received.at(-1)!).toMatchObject({ provider: 'xai', apiKey: 'xai-test-key' });
    const settle = (await entries(agent)).find((e) => e.kind === 'settle');
    expect(settle).toMatchObject({ provider: 'grok', amount_microcents: String(-(100 * 300 + 10 * 1500)) });
  });
});

describe('OpenAI Responses and embeddings', () => {
  it('prices Responses usage and its web search calls', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 200, output: 20 } });
    const res = await s.http.post('/v1/responses', { model: 'gpt-4o-mini', input: LONG, max_output_tokens: 64 }, as(agent));
    expect(res.status).toBe(200);
    expect(res.body.object).toBe('response');
    expect(s.fake.received.at(-1)!.body).toEqual({ model: 'gpt-4o-mini', input: LONG, max_output_tokens: 64 });
    const settle = (await entries(agent)).find((e) => e.kind === 'settle');
    expect(settle.amount_microcents).toBe(String(-(200 * 15 + 20 * 60)));
  });

  it('streams Responses events and settles from response.completed', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 300, output: 4 } });
    const res = await s.http.post('/v1/responses', { model: 'gpt-4o-mini', input: LONG, stream: true }, as(agent));
    const types = parseSse(res.text).map((e) => e.event);
    expect(types).toContain('response.completed');
    const settle = (await entries(agent)).find((e) => e.kind === 'settle');
    expect(settle.amount_microcents).toBe(String(-(300 * 15 + 4 * 60)));
  });

  it('prices embeddings by their input and sends no output cap', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 5000 } });
    const body = { model: 'text-embedding-3-small', input: ['a', LONG] };
    const res = await s.http.post('/v1/embeddings', body, as(agent));
    expect(res.status).toBe(200);
    expect(s.fake.received.at(-1)!.body).toEqual(body);
    expect(res.headers.get('x-cynsta-max-tokens')).toBe('0');
    const settle = (await entries(agent)).find((e) => e.kind === 'settle');
    expect(settle.amount_microcents).toBe(String(-(5000 * 2)));
  });
});

describe('Anthropic messages', () => {
  it('calls /v1/messages with the Anthropic key and version, cache tokens priced apart', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 100, cacheWrite: 1000, cacheRead: 2000, output: 30 } });
    const body = { model: 'claude-opus-4-6', max_tokens: 300, messages: [{ role: 'user', content: LONG }] };
    const res = await s.http.post('/v1/messages', body, as(agent));
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('message');
    const sent = s.fake.received.at(-1)!;
    expect(sent.body).toEqual(body);
    expect(sent.headers).toMatchObject({ 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01' });
    const settle = (await entries(agent)).find((e) => e.kind === 'settle');
    expect(settle.amount_microcents).toBe(String(-(100 * 500 + 1000 * 625 + 2000 * 50 + 30 * 2500)));
  });

  it('streams message_start … message_stop and settles from message_start + message_delta', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 50, output: 8 } });
    const res = await s.http.post('/v1/messages', { model: 'claude-opus-4-6', max_tokens: 100, stream: true, messages: [{ role: 'user', content: LONG }] }, as(agent));
    const types = parseSse(res.text).map((e) => e.event);
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    const settle = (await entries(agent)).find((e) => e.kind === 'settle');
    expect(settle.amount_microcents).toBe(String(-(50 * 500 + 8 * 2500)));
  });
});

describe('Gemini', () => {
  it('serves the SDK path {model}:generateContent with the Gemini key', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 100, output: 10, reasoning: 5 }, groundingQueries: 2 });
    const body = { contents: [{ role: 'user', parts: [{ text: LONG }] }], tools: [{ google_search: {} }], generationConfig: { maxOutputTokens: 100 } };
    const res = await s.http.post('/v1beta/models/gemini-3-pro-preview:generateContent', body, as(agent));
    expect(res.status).toBe(200);
    expect(res.body.candidates[0].content.parts[0].text).toContain('tok');
    expect(s.fake.received.at(-1)!).toMatchObject({ apiKey: 'gemini-test-key', body });
    const settle = (await entries(agent)).find((e) => e.kind === 'settle');
    // 100 × 200 + (10 + 5) × 1200 + 2 queries × 3500 ¢/1k (3.5 ¢ each) = 20,000 + 18,000 + 7,000,000 µ¢
    expect(settle.amount_microcents).toBe(String(-(100 * 200 + 15 * 1200 + 7_000_000)));
    expect((await entries(agent)).some((e) => e.kind === 'overrun')).toBe(false);
  });

  it('streams :streamGenerateContent as SSE and settles from the last usageMetadata', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 40, output: 6 } });
    const res = await s.http.post('/v1beta/models/gemini-3-pro-preview:streamGenerateContent', { contents: [{ parts: [{ text: LONG }] }] }, as(agent));
    expect(res.status).toBe(200);
    expect(s.fake.received.at(-1)!.query).toBe('alt=sse');
    expect(parseSse(res.text).length).toBeGreaterThan(1);
    const settle = (await entries(agent)).find((e) => e.kind === 'settle');
    expect(settle.amount_microcents).toBe(String(-(40 * 200 + 6 * 1200)));
  });
});

describe('explicit run routes (the seed)', () => {
  it('runs openai, grok, anthropic and gemini calls under a run', async () => {
    const agent = await s.agent(500);
    const { body: run } = await s.http.post(`/v1/agents/${agent}/runs`, {});
    const base = `/v1/agents/${agent}/runs/${run.run_id}`;
    const calls: [string, unknown][] = [
      [`${base}/openai/chat/completions`, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }],
      [`${base}/openai/responses`, { model: 'gpt-4o-mini', input: 'x' }],
      [`${base}/openai/embeddings`, { model: 'text-embedding-3-small', input: 'x' }],
      [`${base}/grok/chat/completions`, { model: 'grok-3', messages: [{ role: 'user', content: 'x' }] }],
      [`${base}/anthropic/messages`, { model: 'claude-opus-4-6', max_tokens: 50, messages: [{ role: 'user', content: 'x' }] }],
      [`${base}/gemini/generateContent`, { model: 'gemini-3-pro-preview', contents: [{ parts: [{ text: 'x' }] }] }],
    ];
    for (const [path, body] of calls) {
      const res = await s.http.post(path, body);
      expect([path, res.status]).toEqual([path, 200]);
      expect(res.headers.get('x-cynsta-run-id')).toBe(run.run_id);
    }
    const got = await s.http.get(`/v1/agents/${agent}/runs/${run.run_id}`);
    expect(got.body).toMatchObject({ call_count: calls.length, in_flight: 0, status: 'idle' });
  });

  it("takes the seed's simplified gemini body and answers in the seed's shape", async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 12, output: 3 } });
    const res = await s.http.post(`/v1/agents/${agent}/runs/r-1/gemini/generateContent`, {
      model: 'gemini-3-pro-preview',
      prompt: 'Say hi',
      max_tokens: 20,
      temperature: 0.2,
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ completion: 'tok tok tok ', usage: { tokens_in: 12, tokens_out: 3 } });
    expect(s.fake.received.at(-1)!.body).toMatchObject({
      contents: [{ role: 'user', parts: [{ text: 'Say hi' }] }],
      generationConfig: { maxOutputTokens: 20, temperature: 0.2 },
    });
  });
});

// "Settle before the client sees the end": whoever reads the budget right after an answer (a CI
// job, the seed's CLI) sees the call's spend, streamed or not.
describe('read after answer', () => {
  it('shows every call in the budget as soon as its answer (or its stream) has ended', async () => {
    const agent = await s.agent(1_000, { concurrency: 'parallel' });
    s.fake.setBehavior({ usage: { input: 10, output: 20 } });
    let spent = 0n;
    for (let i = 0; i < 20; i++) {
      const stream = i % 2 === 1;
      const res = await s.http.post('/v1/chat/completions', { model: 'gpt-4o-mini', max_tokens: 30, stream, messages: [{ role: 'user', content: `call ${i}` }] }, as(agent));
      expect(res.status).toBe(200);
      const budget = (await s.http.get(`/v1/agents/${agent}/budget`)).body;
      expect(BigInt(budget.spent_microcents)).toBeGreaterThan(spent);
      expect(budget).toMatchObject({ in_flight: 0, reserved_microcents: '0' });
      spent = BigInt(budget.spent_microcents);
    }
  });
});
