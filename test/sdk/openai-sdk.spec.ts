// The official OpenAI SDK pointed at SpendGuard exactly as the seed documents it (baseURL =
// the service's /v1, x-cynsta-agent-id as a default header): every call returns what the
// provider answered, and the agent's ledger holds the exact cost of the provider's usage.
import OpenAI from 'openai';
import { PROVIDER_KEYS, useProxyStack } from '../support/proxy-stack';
import { budgetOf, centsCeil, centsFloor, expectNothingCharged, expectOneSettledCall, ledgerOf, RATES, sleep, waitSettled } from './sdk-support';

const CLIENT_KEY = 'unused-in-sidecar';

const s = useProxyStack();

function client(agentId?: string, opts: { maxRetries?: number } = {}): OpenAI {
  return new OpenAI({
    baseURL: `${s.t.url}/v1`,
    apiKey: CLIENT_KEY,
    defaultHeaders: agentId ? { 'x-cynsta-agent-id': agentId } : {},
    ...opts,
  });
}

/** The provider got our configured key, never the client's. */
function expectProviderKeyOnly(): void {
  expect(s.fake.received.length).toBeGreaterThan(0);
  for (const r of s.fake.received) {
    expect(r.apiKey).toBe(PROVIDER_KEYS.OPENAI_API_KEY);
    expect(JSON.stringify(r.headers)).not.toContain(CLIENT_KEY);
  }
}

const mini = RATES['gpt-4o-mini'];

describe('chat completions', () => {
  it('non-streaming: the answer, the x-cynsta headers and the exact cost in the ledger', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 1000, output: 50 } });
    const { data, response } = await client(agent)
      .chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello.' }] },
        { headers: { 'x-cynsta-run-id': 'run-chat-1' } },
      )
      .withResponse();

    expect(data.object).toBe('chat.completion');
    expect(data.choices[0].message.content).toBe('tok '.repeat(50));
    expect(data.usage).toMatchObject({ prompt_tokens: 1000, completion_tokens: 50 });

    const cost = 1000n * mini.input + 50n * mini.output; // 15,000 + 3,000 = 18,000 µ¢
    expect(cost).toBe(18_000n);
    expect(response.headers.get('x-cynsta-run-id')).toBe('run-chat-1');
    expect(response.headers.get('x-cynsta-request-id')).toEqual(expect.any(String));
    expect(response.headers.get('x-cynsta-cost-cents')).toBe(centsCeil(cost));
    expect(Number(response.headers.get('x-cynsta-reserved-cents'))).toBeGreaterThanOrEqual(1);
    expect(Number(response.headers.get('x-cynsta-max-tokens'))).toBeGreaterThan(0);

    const hold = await expectOneSettledCall(s, agent, 100, {
      costMicrocents: cost,
      runId: 'run-chat-1',
      provider: 'openai',
      model: 'gpt-4o-mini',
      requestId: response.headers.get('x-cynsta-request-id'),
    });
    expect(response.headers.get('x-cynsta-reserved-cents')).toBe(centsCeil(hold));
    expect(response.headers.get('x-cynsta-remaining-cents')).toBe(centsFloor(100_000_000n - cost));

    // The body went upstream unchanged but for the cap, with SpendGuard's provider key.
    const sent = s.fake.received.at(-1)!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.body).toMatchObject({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello.' }] });
    expect((sent.body as any).max_completion_tokens).toBe(Number(response.headers.get('x-cynsta-max-tokens')));
    expectProviderKeyOnly();
  });

  it('streaming without stream_options: the content arrives and the usage chunk stays hidden, yet the call is settled from it', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 1200, output: 7 } });
    const { data: stream, response } = await client(agent)
      .chat.completions.create(
        { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Stream please.' }] },
        { headers: { 'x-cynsta-run-id': 'run-chat-stream' } },
      )
      .withResponse();
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-cynsta-run-id')).toBe('run-chat-stream');
    expect(response.headers.get('x-cynsta-request-id')).toEqual(expect.any(String));
    expect(Number(response.headers.get('x-cynsta-reserved-cents'))).toBeGreaterThanOrEqual(1);

    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(text).toBe('tok '.repeat(7));
    expect(chunks.every((c) => c.choices.length > 0)).toBe(true); // no usage-only chunk
    expect(chunks.filter((c) => c.usage)).toEqual([]); // no usage anywhere
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('stop');

    // SpendGuard asked for the usage upstream to settle from it.
    expect((s.fake.received.at(-1)!.body as any).stream_options).toEqual({ include_usage: true });
    const cost = 1200n * mini.input + 7n * mini.output;
    await expectOneSettledCall(s, agent, 100, {
      costMicrocents: cost,
      runId: 'run-chat-stream',
      provider: 'openai',
      model: 'gpt-4o-mini',
      requestId: response.headers.get('x-cynsta-request-id'),
    });
    expectProviderKeyOnly();
  });

  it('streaming with stream_options.include_usage: the client gets the usage chunk it asked for', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 300, output: 12, cachedInput: 100 } });
    const stream = await client(agent).chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Stream with usage.' }],
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('tok '.repeat(12));
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 400, completion_tokens: 12, prompt_tokens_details: { cached_tokens: 100 } });
    expect(chunks.filter((c) => c.usage)).toHaveLength(1);

    const cost = 300n * mini.input + 100n * mini.cachedInput + 12n * mini.output;
    await expectOneSettledCall(s, agent, 100, { costMicrocents: cost, provider: 'openai', model: 'gpt-4o-mini' });
  });

  it('a stream the SDK abandons midway is charged for what was streamed, never zero, and the provider call is cut too', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 10, output: 200 }, chunkDelayMs: 20 });
    const stream = await client(agent).chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'long answer' }] });
    let pieces = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content) pieces++;
      if (pieces === 5) break; // the SDK aborts the request
    }
    const b = await waitSettled(s, agent);
    const entries = await ledgerOf(s, agent);
    const settle = entries.find((e) => e.kind === 'settle')!;
    expect(settle.details).toMatchObject({ cut_short: 'client_disconnected' });
    // At least the 5 tokens the client saw (60 µ¢ each), far below the 200 the provider would have made.
    expect(BigInt(b.spent_microcents)).toBeGreaterThanOrEqual(5n * mini.output);
    expect(BigInt(b.spent_microcents)).toBeLessThan(200n * mini.output);
    await s.fake.waitForRequests(1);
    const deadline = Date.now() + 3_000;
    while (s.fake.received[0].finishedAt === undefined && Date.now() < deadline) await sleep(20);
    expect(s.fake.received[0].clientAborted).toBe(true);
  });

  it('a run id from the SDK options groups several calls under one run', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 10, output: 1 } });
    const c = client(agent);
    for (let i = 0; i < 2; i++) {
      await c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `n${i}` }] }, { headers: { 'x-cynsta-run-id': 'run-grouped' } });
    }
    const entries = await ledgerOf(s, agent);
    const metered = entries.filter((e) => e.kind !== 'limit_set');
    expect(metered).toHaveLength(6);
    expect(new Set(metered.map((e) => e.run_id))).toEqual(new Set(['run-grouped']));
    const runs = await s.http.get(`/v1/agents/${agent}/runs`);
    expect(runs.status).toBe(200);
    expect(JSON.stringify(runs.body)).toContain('run-grouped');
    const budget = await budgetOf(s, agent);
    expect(budget.spent_microcents).toBe((2n * (10n * mini.input + 1n * mini.output)).toString());
  });
});

describe('responses', () => {
  it('non-streaming: output_text, headers and the exact cost', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 2000, output: 30, reasoning: 10 } });
    const { data, response } = await client(agent)
      .responses.create({ model: 'gpt-5.2', input: 'Think, then answer.' }, { headers: { 'x-cynsta-run-id': 'run-resp' } })
      .withResponse();
    expect(data.object).toBe('response');
    expect(data.status).toBe('completed');
    expect(data.output_text).toBe('tok '.repeat(30));
    expect(data.usage).toMatchObject({ input_tokens: 2000, output_tokens: 40, output_tokens_details: { reasoning_tokens: 10 } });

    const r = RATES['gpt-5.2'];
    const cost = 2000n * r.input + 30n * r.output + 10n * r.reasoning; // 350,000 + 42,000 + 14,000
    expect(response.headers.get('x-cynsta-run-id')).toBe('run-resp');
    expect(response.headers.get('x-cynsta-cost-cents')).toBe(centsCeil(cost));
    await expectOneSettledCall(s, agent, 100, {
      costMicrocents: cost,
      runId: 'run-resp',
      provider: 'openai',
      model: 'gpt-5.2',
      requestId: response.headers.get('x-cynsta-request-id'),
    });
    const sent = s.fake.received.at(-1)!;
    expect(sent.path).toBe('/v1/responses');
    expect((sent.body as any).max_output_tokens).toBe(Number(response.headers.get('x-cynsta-max-tokens')));
    expectProviderKeyOnly();
  });

  it('streaming: the SDK sees every event up to response.completed, and the call is settled from its usage', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 500, output: 9 } });
    const { data: stream, response } = await client(agent)
      .responses.create({ model: 'gpt-4o-mini', input: 'Stream a response.', stream: true }, { headers: { 'x-cynsta-run-id': 'run-resp-stream' } })
      .withResponse();
    expect(response.headers.get('x-cynsta-run-id')).toBe('run-resp-stream');
    expect(response.headers.get('x-cynsta-reserved-cents')).toEqual(expect.any(String));

    const types: string[] = [];
    let text = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(text).toBe('tok '.repeat(9));
    expect(completed!.usage).toMatchObject({ input_tokens: 500, output_tokens: 9 });

    await expectOneSettledCall(s, agent, 100, {
      costMicrocents: 500n * mini.input + 9n * mini.output,
      runId: 'run-resp-stream',
      provider: 'openai',
      model: 'gpt-4o-mini',
    });
  });

  it('streaming through the SDK helper responses.stream(): finalResponse() has the text', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 40, output: 3 } });
    const stream = client(agent).responses.stream({ model: 'gpt-4o-mini', input: 'helper' });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe('tok '.repeat(3));
    await expectOneSettledCall(s, agent, 100, { costMicrocents: 40n * mini.input + 3n * mini.output, provider: 'openai', model: 'gpt-4o-mini' });
  });
});

describe('embeddings', () => {
  it('the SDK decodes its default base64 vectors; cost is input tokens × the embedding rate', async () => {
    const agent = await s.agent(100);
    // Embeddings hold only their input estimate: the texts must hold at least the 4,321 tokens
    // reported (about 3,000 each), or the call would rightly be an overrun.
    const TEXTS = ['hello world '.repeat(1500), 'second text '.repeat(1500)];
    s.fake.setBehavior({ usage: { input: 4321 } });
    const { data, response } = await client(agent)
      .embeddings.create({ model: 'text-embedding-3-small', input: TEXTS }, { headers: { 'x-cynsta-run-id': 'run-emb' } })
      .withResponse();
    expect(data.object).toBe('list');
    expect(data.data).toHaveLength(2);
    expect(data.data[0].embedding).toHaveLength(8);
    expect(data.data[0].embedding.every((x) => typeof x === 'number' && Number.isFinite(x))).toBe(true);
    expect(data.usage.prompt_tokens).toBe(4321);

    const cost = 4321n * RATES['text-embedding-3-small'].input; // 8,642 µ¢
    expect(response.headers.get('x-cynsta-run-id')).toBe('run-emb');
    expect(response.headers.get('x-cynsta-cost-cents')).toBe(centsCeil(cost));
    await expectOneSettledCall(s, agent, 100, { costMicrocents: cost, runId: 'run-emb', provider: 'openai', model: 'text-embedding-3-small' });
    const sent = s.fake.received.at(-1)!;
    expect(sent.path).toBe('/v1/embeddings');
    expect(sent.body).toEqual({ model: 'text-embedding-3-small', input: TEXTS, encoding_format: 'base64' });
    expectProviderKeyOnly();
  });
});

describe('grok through the OpenAI SDK', () => {
  it('a model priced only under grok goes to xAI with the xAI key', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 100, output: 10 } });
    const res = await client(agent).chat.completions.create({ model: 'grok-3', messages: [{ role: 'user', content: 'hi grok' }] });
    expect(res.choices[0].message.content).toBe('tok '.repeat(10));
    const r = RATES['grok-3'];
    await expectOneSettledCall(s, agent, 100, { costMicrocents: 100n * r.input + 10n * r.output, provider: 'grok', model: 'grok-3' });
    const sent = s.fake.received.at(-1)!;
    expect(sent.provider).toBe('xai');
    expect(sent.apiKey).toBe(PROVIDER_KEYS.XAI_API_KEY);
  });
});

describe('refusals as the SDK reports them', () => {
  it('402: an APIError with status 402 and SpendGuard’s message; nothing is sent upstream or charged', async () => {
    const agent = await s.agent(1);
    // 100,000 input tokens at 15 µ¢ = 1.5 ¢ > the 1 ¢ budget, before any output.
    const err = await client(agent)
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(400_000) }] })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    const apiErr = err as InstanceType<typeof OpenAI.APIError>;
    expect(apiErr.status).toBe(402);
    expect(apiErr.message).toMatch(/^402 insufficient budget/);
    expect(apiErr.error).toMatchObject({ code: 'insufficient_budget', message: expect.stringContaining('insufficient budget') });
    expect(s.fake.requestCount).toBe(0);
    await expectNothingCharged(s, agent);
  });

  it('402 after the budget is used up by earlier calls', async () => {
    const agent = await s.agent(1);
    // Each call: 20,000 input × 15 + 1,000 output × 60 = 360,000 µ¢. The prompt (about 25,000
    // tokens) is estimated above the 20,000 reported, so each hold (about 435,000 µ¢) covers the
    // cost: two calls fit in 1 ¢, the third cannot hold and gets 402.
    s.fake.setBehavior({ usage: { input: 20_000, output: 1_000 } });
    const prompt = 'spend '.repeat(25_000);
    const c = client(agent);
    let ok = 0;
    let refused: InstanceType<typeof OpenAI.APIError> | undefined;
    for (let i = 0; i < 10 && !refused; i++) {
      try {
        await c.chat.completions.create({ model: 'gpt-4o-mini', max_completion_tokens: 1000, messages: [{ role: 'user', content: prompt }] });
        ok++;
      } catch (e) {
        refused = e as InstanceType<typeof OpenAI.APIError>;
      }
    }
    expect(ok).toBe(2);
    expect(refused?.status).toBe(402);
    expect(refused?.message).toMatch(/^402 insufficient budget/);
    expect(s.fake.requestCount).toBe(2);
    const b = await budgetOf(s, agent);
    expect(b.spent_microcents).toBe('720000');
    expect(b.remaining_microcents).toBe('280000');
    expect((await ledgerOf(s, agent)).filter((e) => e.kind === 'overrun')).toEqual([]);
  });

  it('409: an exclusive agent with a call in flight; the SDK (no retries) gets agent_locked with the holder’s run', async () => {
    const agent = await s.agent(100, { concurrency: 'exclusive' });
    s.fake.setBehavior({ usage: { input: 10, output: 2 } });
    s.fake.enqueue({ latencyMs: 1_500 }, { route: 'openai.chat' });
    const c = client(agent, { maxRetries: 0 });
    const first = c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'slow' }] }, { headers: { 'x-cynsta-run-id': 'run-holder' } });
    await s.fake.waitForRequests(1);

    const err = await c.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'second' }] }, { headers: { 'x-cynsta-run-id': 'run-second' } })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    const apiErr = err as InstanceType<typeof OpenAI.APIError>;
    expect(apiErr.status).toBe(409);
    expect(apiErr.message).toMatch(/^409 .*in flight/);
    expect(apiErr.error).toMatchObject({ code: 'agent_locked' });
    expect(apiErr.headers?.get('retry-after')).toMatch(/^\d+$/);

    const done = await first;
    expect(done.choices[0].message.content).toBe('tok tok ');
    expect(s.fake.requestCount).toBe(1);
    await expectOneSettledCall(s, agent, 100, { costMicrocents: 10n * mini.input + 2n * mini.output, runId: 'run-holder', provider: 'openai', model: 'gpt-4o-mini' });
  });

  it('409 is retried by the SDK’s default policy and succeeds soon after the lock is free', async () => {
    const agent = await s.agent(100, { concurrency: 'exclusive' });
    s.fake.setBehavior({ usage: { input: 10, output: 2 } });
    s.fake.enqueue({ latencyMs: 800 }, { route: 'openai.chat' });
    const c = client(agent); // default maxRetries: 2, honours Retry-After
    const first = c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'slow' }] });
    await s.fake.waitForRequests(1);
    const started = Date.now();
    const second = await c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'second' }] });
    expect(second.choices[0].message.content).toBe('tok tok ');
    // The SDK sleeps for Retry-After (honoured up to 60 s) before retrying. The holder finished
    // after 0.8 s, so the retry should come within a few seconds, not after the lock's 30 s TTL.
    expect(Date.now() - started).toBeLessThan(5_000);
    await first;
    const b = await waitSettled(s, agent);
    expect(b.spent_microcents).toBe((2n * (10n * mini.input + 2n * mini.output)).toString());
  });

  it('400 without x-cynsta-agent-id, before anything reaches the provider', async () => {
    const err = await client(undefined)
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'who pays?' }] })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const apiErr = err as InstanceType<typeof OpenAI.APIError>;
    expect(apiErr.status).toBe(400);
    expect(apiErr.message).toContain('x-cynsta-agent-id');
    expect(s.fake.requestCount).toBe(0);
  });

  it('400 unknown_model for a model without a price; nothing reserved', async () => {
    const agent = await s.agent(100);
    const err = await client(agent)
      .chat.completions.create({ model: 'gpt-unpriced', messages: [{ role: 'user', content: 'hi' }] })
      .then(() => undefined, (e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((err as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ code: 'unknown_model' });
    expect(s.fake.requestCount).toBe(0);
    await expectNothingCharged(s, agent);
  });

  it('a provider 4xx comes back to the SDK unchanged and the hold is released', async () => {
    const agent = await s.agent(100);
    s.fake.enqueue({ status: 400, errorMessage: 'bad temperature' }, { route: 'openai.chat' });
    const err = await client(agent)
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toBe('400 bad temperature');
    const b = await waitSettled(s, agent);
    expect(b.spent_microcents).toBe('0');
    expect(b.remaining_microcents).toBe('100000000');
    await sleep(0);
  });
});
