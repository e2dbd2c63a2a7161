// The official Anthropic SDK with baseURL = the service: Messages, whole and streamed, priced
// from the usage Anthropic reports (message_start + message_delta when streaming).
import Anthropic from '@anthropic-ai/sdk';
import { PROVIDER_KEYS, useProxyStack } from '../support/proxy-stack';
import { centsCeil, centsFloor, expectNothingCharged, expectOneSettledCall, ledgerOf, RATES } from './sdk-support';

const CLIENT_KEY = 'sk-ant-client-key-never-forwarded';
const opus = RATES['claude-opus-4-6'];

const s = useProxyStack();

function client(agentId?: string, opts: { maxRetries?: number } = {}): Anthropic {
  return new Anthropic({
    baseURL: s.t.url,
    apiKey: CLIENT_KEY,
    defaultHeaders: agentId ? { 'x-cynsta-agent-id': agentId } : {},
    ...opts,
  });
}

function expectProviderKeyOnly(): void {
  expect(s.fake.received.length).toBeGreaterThan(0);
  for (const r of s.fake.received) {
    expect(r.apiKey).toBe(PROVIDER_KEYS.ANTHROPIC_API_KEY);
    expect(JSON.stringify(r.headers)).not.toContain(CLIENT_KEY);
  }
}

const asApiError = (e: unknown) => e as InstanceType<typeof Anthropic.APIError>;

describe('messages', () => {
  it('non-streaming: the message, the x-cynsta headers and the exact cost with cache writes and reads', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 100, output: 40, cacheWrite: 20, cacheRead: 30 } });
    let sdkSent = new Headers();
    const c = new Anthropic({
      baseURL: s.t.url,
      apiKey: CLIENT_KEY,
      defaultHeaders: { 'x-cynsta-agent-id': agent },
      fetch: (url: any, init: any) => {
        sdkSent = new Headers(init?.headers);
        return fetch(url, init);
      },
    });
    const { data, response } = await c
      .messages.create(
        { model: 'claude-opus-4-6', max_tokens: 256, system: 'Be brief.', messages: [{ role: 'user', content: 'Hello, Claude.' }] },
        { headers: { 'x-cynsta-run-id': 'run-anthropic' } },
      )
      .withResponse();
    expect(data.type).toBe('message');
    expect(data.role).toBe('assistant');
    expect(data.content).toEqual([expect.objectContaining({ type: 'text', text: 'tok '.repeat(40) })]);
    expect(data.stop_reason).toBe('end_turn');
    expect(data.usage).toMatchObject({ input_tokens: 100, output_tokens: 40, cache_creation_input_tokens: 20, cache_read_input_tokens: 30 });

    // 100 × 500 + 20 × 625 + 30 × 50 + 40 × 2,500 = 50,000 + 12,500 + 1,500 + 100,000
    const cost = 100n * opus.input + 20n * opus.cacheWrite + 30n * opus.cacheRead + 40n * opus.output;
    expect(cost).toBe(164_000n);
    expect(response.headers.get('x-cynsta-run-id')).toBe('run-anthropic');
    expect(response.headers.get('x-cynsta-request-id')).toEqual(expect.any(String));
    expect(response.headers.get('x-cynsta-cost-cents')).toBe(centsCeil(cost));
    expect(response.headers.get('x-cynsta-max-tokens')).toBe('256');
    const hold = await expectOneSettledCall(s, agent, 100, {
      costMicrocents: cost,
      runId: 'run-anthropic',
      provider: 'anthropic',
      model: 'claude-opus-4-6',
      requestId: response.headers.get('x-cynsta-request-id'),
    });
    expect(response.headers.get('x-cynsta-reserved-cents')).toBe(centsCeil(hold));
    expect(response.headers.get('x-cynsta-remaining-cents')).toBe(centsFloor(100_000_000n - cost));

    const sent = s.fake.received.at(-1)!;
    expect(sent.path).toBe('/v1/messages');
    expect(sent.body).toEqual({ model: 'claude-opus-4-6', max_tokens: 256, system: 'Be brief.', messages: [{ role: 'user', content: 'Hello, Claude.' }] });
    // The SDK's own anthropic-version header is passed on (SpendGuard's default only fills a gap).
    expect(sent.headers['anthropic-version']).toBe(sdkSent.get('anthropic-version'));
    expect(sdkSent.get('anthropic-version')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expectProviderKeyOnly();
  });

  it('streaming with messages.stream(): text events and finalMessage(), settled from message_start + message_delta', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 77, output: 11 } });
    const stream = client(agent).messages.stream(
      { model: 'claude-opus-4-6', max_tokens: 512, messages: [{ role: 'user', content: 'Stream to me.' }] },
      { headers: { 'x-cynsta-run-id': 'run-anthropic-stream' } },
    );
    let text = '';
    stream.on('text', (delta) => (text += delta));
    const final = await stream.finalMessage();
    expect(text).toBe('tok '.repeat(11));
    expect(final.content).toEqual([expect.objectContaining({ type: 'text', text: 'tok '.repeat(11) })]);
    expect(final.usage).toMatchObject({ input_tokens: 77, output_tokens: 11 });
    const response = stream.response!;
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-cynsta-run-id')).toBe('run-anthropic-stream');
    expect(response.headers.get('x-cynsta-request-id')).toEqual(expect.any(String));
    expect(response.headers.get('x-cynsta-reserved-cents')).toEqual(expect.any(String));

    await expectOneSettledCall(s, agent, 100, {
      costMicrocents: 77n * opus.input + 11n * opus.output,
      runId: 'run-anthropic-stream',
      provider: 'anthropic',
      model: 'claude-opus-4-6',
    });
    expect((s.fake.received.at(-1)!.body as any).stream).toBe(true);
    expectProviderKeyOnly();
  });

  it('streaming with create({stream: true}): every raw event arrives in order', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 5, output: 3, cacheRead: 9 } });
    const { data: stream, response } = await client(agent)
      .messages.create({ model: 'claude-opus-4-6', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'raw' }] })
      .withResponse();
    expect(response.headers.get('x-cynsta-run-id')).toEqual(expect.any(String));
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    expect(types[0]).toBe('message_start');
    expect(types.at(-2)).toBe('message_delta');
    expect(types.at(-1)).toBe('message_stop');
    expect(text).toBe('tok tok tok ');
    await expectOneSettledCall(s, agent, 100, {
      costMicrocents: 5n * opus.input + 9n * opus.cacheRead + 3n * opus.output,
      runId: response.headers.get('x-cynsta-run-id')!,
      provider: 'anthropic',
      model: 'claude-opus-4-6',
    });
  });
});

describe('refusals as the SDK reports them', () => {
  it('402: an APIError with status 402; apiMessage is SpendGuard’s message; nothing upstream or charged', async () => {
    const agent = await s.agent(1);
    // 2,000 output tokens at 2,500 µ¢ = 5 ¢ > the 1 ¢ budget. The cap would be clamped to what
    // fits; x-cynsta-clamp: off asks for a 402 instead.
    const err = await client(agent)
      .messages.create(
        { model: 'claude-opus-4-6', max_tokens: 2_000, messages: [{ role: 'user', content: 'too dear' }] },
        { headers: { 'x-cynsta-clamp': 'off' } },
      )
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(asApiError(err).status).toBe(402);
    expect(asApiError(err).apiMessage).toMatch(/insufficient budget/);
    expect(asApiError(err).message).toMatch(/^402 /);
    expect(asApiError(err).error).toMatchObject({ detail: 'Insufficient budget', required_cents: 6, remaining_cents: 1 });
    expect(s.fake.requestCount).toBe(0);
    await expectNothingCharged(s, agent);
  });

  it('a cap larger than the budget affords is clamped (the seed’s clamp) and the answer still comes back', async () => {
    const agent = await s.agent(1);
    s.fake.setBehavior({ usage: { input: 10, output: 5 } });
    const { data, response } = await client(agent)
      .messages.create({ model: 'claude-opus-4-6', max_tokens: 2_000, messages: [{ role: 'user', content: 'clamp me' }] })
      .withResponse();
    expect(data.content[0]).toMatchObject({ type: 'text', text: 'tok '.repeat(5) });
    const cap = Number(response.headers.get('x-cynsta-max-tokens'));
    expect(cap).toBeGreaterThan(0);
    expect(cap).toBeLessThan(400); // 1 ¢ / 2,500 µ¢ per output token
    expect((s.fake.received.at(-1)!.body as any).max_tokens).toBe(cap);
    await expectOneSettledCall(s, agent, 1, { costMicrocents: 10n * opus.input + 5n * opus.output, provider: 'anthropic', model: 'claude-opus-4-6' });
  });

  it('409: an exclusive agent with a call in flight', async () => {
    const agent = await s.agent(100, { concurrency: 'exclusive' });
    s.fake.setBehavior({ usage: { input: 10, output: 2 } });
    s.fake.enqueue({ latencyMs: 1_500 }, { route: 'anthropic.messages' });
    const c = client(agent, { maxRetries: 0 });
    const first = c.messages.create({ model: 'claude-opus-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'slow' }] }, { headers: { 'x-cynsta-run-id': 'run-a-holder' } });
    await s.fake.waitForRequests(1);
    const err = await c.messages
      .create({ model: 'claude-opus-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'second' }] })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.ConflictError);
    expect(asApiError(err).status).toBe(409);
    expect(asApiError(err).error).toMatchObject({ locked_run_id: 'run-a-holder', error: { code: 'agent_locked' } });
    expect((await first).content[0]).toMatchObject({ text: 'tok tok ' });
    expect(s.fake.requestCount).toBe(1);
    await expectOneSettledCall(s, agent, 100, { costMicrocents: 10n * opus.input + 2n * opus.output, runId: 'run-a-holder', provider: 'anthropic', model: 'claude-opus-4-6' });
  });

  it('400 without x-cynsta-agent-id', async () => {
    const err = await client(undefined)
      .messages.create({ model: 'claude-opus-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'who pays?' }] })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(asApiError(err).apiMessage).toContain('x-cynsta-agent-id');
    expect(s.fake.requestCount).toBe(0);
  });

  it('a provider overloaded error (529) is not charged; the SDK sees a 5xx', async () => {
    const agent = await s.agent(100);
    s.fake.enqueue({ status: 529 }, { route: 'anthropic.messages' });
    const err = await client(agent, { maxRetries: 0 })
      .messages.create({ model: 'claude-opus-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'busy?' }] })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(asApiError(err).status).toBe(502);
    expect(asApiError(err).error).toMatchObject({ error: { code: 'upstream_error' }, upstream_status: 529 });
    const b = await s.http.get(`/v1/agents/${agent}/budget`);
    expect(b.body).toMatchObject({ spent_microcents: '0', remaining_microcents: '100000000', in_flight: 0 });
    // SPEC §4 rule 9: the hold is released and the ledger records the failure.
    const entries = (await ledgerOf(s, agent)).filter((e) => e.kind !== 'limit_set');
    expect(entries.map((e) => e.kind).sort()).toEqual(['release', 'reserve']);
    expect(entries.find((e) => e.kind === 'release')!.details).toMatchObject({ upstream_status: 529 });
  });
});
