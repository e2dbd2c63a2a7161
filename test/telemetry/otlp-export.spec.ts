// Issue 11: every metered call is exported as OpenTelemetry spans over OTLP/HTTP (the seed's
// CAP_INGEST_URL): a call span with the GenAI conventions and a settlement span beside the ledger's
// figures; no prompt text unless capture is on; nothing when off; and a backend that is down or
// hangs never slows or fails a call.
import { createHash, randomBytes } from 'node:crypto';
import { CALL_OBSERVER } from '../../src/proxy/call-observer';
import type { TelemetryService } from '../../src/telemetry/telemetry.service';
import { parseSse } from '../fake-provider/sse';
import { ProxyStack, startProxyStack } from '../support/proxy-stack';
import { expectLedgerBalanced, startTestApp } from '../support/test-app';
import { OtlpReceiver, ReceivedSpan } from './otlp-receiver';

const sha384 = (text: string) => createHash('sha384').update(text, 'utf8').digest('hex');
const as = (agent: string, extra: Record<string, string> = {}) => ({ headers: { 'x-cynsta-agent-id': agent, ...extra } });
/** OTLP's span kinds (the API's enum plus one). */
const KIND = { INTERNAL: 1, CLIENT: 3 };
const STATUS_ERROR = 2;
const INGEST_KEY = 'ingest-key-5f1c';

/** A prompt that says whose it is (to find it in spans) and is long enough to cover the usage the fake reports. */
const promptOf = (marker: string) => `${marker} ${'lorem '.repeat(5_000)}`;

/**
 * A receiver, and the stack in front of the fake provider exporting to it; the stack closes first,
 * so its last spans are delivered rather than retried against a closed port.
 */
function useExportingStack(extraEnv: Record<string, string> = {}) {
  const receiver = new OtlpReceiver();
  let stack: ProxyStack | undefined;
  beforeAll(async () => {
    await receiver.start();
    stack = await startProxyStack({
      env: { CAP_INGEST_URL: receiver.tracesUrl, CAP_INGEST_API_KEY: INGEST_KEY, CAP_SERVICE_NAME: 'spendguard-under-test', ...extraEnv },
    });
  });
  beforeEach(() => stack!.fake.reset());
  afterEach(() => expectLedgerBalanced(stack!.t.pool));
  afterAll(async () => {
    await stack?.close();
    await receiver.close();
  });
  const s = new Proxy({} as ProxyStack, { get: (_target, prop) => stack![prop as keyof ProxyStack] });
  return { s, receiver };
}

/** The call span and the settlement span of one request, once both have arrived. */
async function spansOf(receiver: OtlpReceiver, requestId: string | null, settlement = true) {
  const mine = (spans: ReceivedSpan[]) => spans.filter((x) => x.attributes['spendguard.request_id'] === requestId);
  const spans = mine(await receiver.waitFor((all) => mine(all).length >= (settlement ? 2 : 1)));
  return { call: spans.find((x) => x.kind === KIND.CLIENT)!, settle: spans.find((x) => x.name === 'spendguard.settlement'), all: spans };
}

async function ledgerOf(s: ProxyStack, agent: string) {
  const { rows } = await s.t.pool.query('SELECT kind, amount_microcents, price_version FROM ledger_entries WHERE agent_id = $1 ORDER BY seq', [agent]);
  const one = (kind: string) => rows.find((r) => r.kind === kind)!;
  return { hold: -Number(one('reserve').amount_microcents), cost: -Number(one('settle').amount_microcents), priceVersion: one('settle').price_version };
}

/** No attribute of any span may carry the prompt's marker or the answer's text. */
function expectNoContent(spans: ReceivedSpan[], marker: string): void {
  const values = spans.flatMap((x) => Object.values(x.attributes)).map((v) => JSON.stringify(v));
  expect(values.filter((v) => v.includes(marker) || v.includes('tok tok'))).toEqual([]);
  expect(spans.flatMap((x) => Object.keys(x.attributes)).filter((k) => /input\.messages|output\.messages|system_instructions/.test(k))).toEqual([]);
}

// First: the SDK's retries against a dead backend outlive the app by a few seconds (its own
// timers), which the tests after this one give them.
describe('a backend that is down or hangs', () => {
  /** Each call answers as usual, well within a bound far below the exporter's 10 s timeout. */
  async function callsStayFast(s: ProxyStack, count: number) {
    const agent = await s.agent(1_000);
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      const stream = i % 2 === 1;
      const res = await s.http.post('/v1/chat/completions', { model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: `call ${i}` }] }, as(agent));
      const took = performance.now() - started;
      expect(res.status).toBe(200);
      expect(took).toBeLessThan(2_000);
    }
  }

  it('a receiver that refuses connections: calls answer normally and quickly', async () => {
    const gone = await new OtlpReceiver().start();
    const url = gone.tracesUrl;
    await gone.close();
    const s = await startProxyStack({ env: { CAP_INGEST_URL: url, CAP_INGEST_API_KEY: INGEST_KEY } });
    try {
      await callsStayFast(s, 10);
      // Past the batch delay, the exporter has tried (and failed) at least once meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      await callsStayFast(s, 4);
      await expectLedgerBalanced(s.t.pool);
    } finally {
      await s.close();
    }
  });

  it('a receiver that takes the spans and never answers: calls stay fast, shutdown stays bounded', async () => {
    const receiver = await new OtlpReceiver().start();
    receiver.hang();
    const s = await startProxyStack({ env: { CAP_INGEST_URL: receiver.tracesUrl, CAP_INGEST_API_KEY: INGEST_KEY } });
    try {
      await callsStayFast(s, 1);
      // The first export is now hanging at the receiver…
      await waitUntil(() => receiver.pending >= 1);
      // …and calls go on as before.
      await callsStayFast(s, 20);
      expect(receiver.pending).toBeGreaterThanOrEqual(1);
      await expectLedgerBalanced(s.t.pool);
    } finally {
      const closing = performance.now();
      await s.close();
      // The flush on shutdown is bounded (3 s), whatever the backend does.
      expect(performance.now() - closing).toBeLessThan(6_000);
      // Answered now, the exports still waiting end instead of being retried after the test.
      receiver.recover();
      await receiver.close();
    }
  });
});

describe('exported spans (capture off, the default)', () => {
  const { s, receiver } = useExportingStack();

  it('a chat call: a call span and a settlement span with the usage, the ledger cost, the hashes, and no prompt text', async () => {
    const agent = await s.agent(100);
    const marker = `secret-${randomBytes(6).toString('hex')}`;
    const content = promptOf(marker);
    s.fake.setBehavior({ usage: { input: 1000, output: 50 } });
    const res = await s.http.post(
      '/v1/chat/completions',
      { model: 'gpt-4o-mini', max_tokens: 200, temperature: 0.3, messages: [{ role: 'user', content }] },
      as(agent, { 'x-cynsta-run-id': 'run-otel-1' }),
    );
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-cynsta-request-id');
    const { call, settle, all } = await spansOf(receiver, requestId);
    const ledger = await ledgerOf(s, agent);

    expect(call.name).toBe('chat gpt-4o-mini');
    expect(call.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.request.max_tokens': 200,
      'gen_ai.request.temperature': 0.3,
      'gen_ai.request.stream': false,
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 50,
      'gen_ai.agent.id': agent,
      'server.address': '127.0.0.1',
      'http.response.status_code': 200,
      'spendguard.model': 'openai:gpt-4o-mini',
      'spendguard.agent_id': agent,
      'spendguard.run_id': 'run-otel-1',
      'spendguard.request_id': requestId,
      'spendguard.stream': false,
      'spendguard.status_code': 200,
      'spendguard.tokens_in': 1000,
      'spendguard.tokens_out': 50,
      'spendguard.cost.microcents': ledger.cost,
      'spendguard.prompt.sha384': sha384(content),
      'spendguard.completion.sha384': sha384('tok '.repeat(50)),
    });
    expect(call.attributes['spendguard.tenant_id']).toBeUndefined(); // a sidecar's one tenant says nothing
    expect(call.status.code ?? 0).not.toBe(STATUS_ERROR);

    expect(settle).toBeDefined();
    expect(settle!.kind).toBe(KIND.INTERNAL);
    expect(settle!.traceId).toBe(call.traceId);
    expect(settle!.parentSpanId).toBe(call.spanId);
    expect(settle!.attributes).toMatchObject({
      'spendguard.settlement.outcome': 'settle',
      'spendguard.cost.microcents': ledger.cost,
      'spendguard.cost.cents': Math.ceil(ledger.cost / 1_000_000),
      'spendguard.hold.microcents': ledger.hold,
      'spendguard.hold.cents': Math.ceil(ledger.hold / 1_000_000),
      'spendguard.price_version': ledger.priceVersion,
      'spendguard.model': 'openai:gpt-4o-mini',
      'spendguard.tokens_in': 1000,
      'spendguard.tokens_out': 50,
      'spendguard.usage.basis': 'reported',
    });
    expect(ledger.cost).toBe(1000 * 15 + 50 * 60);
    expect(JSON.parse(String(settle!.attributes['spendguard.cost.breakdown']))).toMatchObject({ total_microcents: String(ledger.cost) });
    expectNoContent(all, marker);

    const request = receiver.requests.find((r) => r.spans.some((x) => x.attributes['spendguard.request_id'] === requestId))!;
    expect(request.path).toBe('/v1/traces');
    expect(request.headers['x-api-key']).toBe(INGEST_KEY);
    expect(request.headers['content-type']).toMatch(/^application\/json/);
    expect(call.resource['service.name']).toBe('spendguard-under-test');
  });

  it('a stream: the completion hashed as it was relayed, the usage the stream reported, the ledger cost', async () => {
    const agent = await s.agent(100);
    const marker = `secret-${randomBytes(6).toString('hex')}`;
    const content = promptOf(marker);
    s.fake.setBehavior({ usage: { input: 900, output: 30 } });
    const res = await s.http.post('/v1/chat/completions', { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content }] }, as(agent));
    expect(res.status).toBe(200);
    const streamed = parseSse(res.text)
      .filter((e) => e.data !== '[DONE]')
      .map((e) => JSON.parse(e.data).choices?.[0]?.delta?.content ?? '')
      .join('');
    expect(streamed).toBe('tok '.repeat(30));
    const { call, settle, all } = await spansOf(receiver, res.headers.get('x-cynsta-request-id'));
    const ledger = await ledgerOf(s, agent);
    expect(call.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'spendguard.stream': true,
      'gen_ai.usage.input_tokens': 900,
      'gen_ai.usage.output_tokens': 30,
      'gen_ai.response.model': 'gpt-4o-mini',
      'gen_ai.response.finish_reasons': ['stop'],
      'spendguard.completion.sha384': sha384(streamed),
      'spendguard.prompt.sha384': sha384(content),
      'spendguard.cost.microcents': ledger.cost,
    });
    expect(settle!.attributes).toMatchObject({ 'spendguard.settlement.outcome': 'settle', 'spendguard.cost.microcents': ledger.cost, 'spendguard.hold.microcents': ledger.hold });
    expect(ledger.cost).toBe(900 * 15 + 30 * 60);
    expectNoContent(all, marker);
  });

  it('an Anthropic call: provider anthropic, system prompt in the hash, cache tokens counted in the input', async () => {
    const agent = await s.agent(100);
    const marker = `secret-${randomBytes(6).toString('hex')}`;
    const content = promptOf(marker);
    s.fake.setBehavior({ usage: { input: 1000, output: 40, cacheRead: 200, cacheWrite: 100 } });
    const res = await s.http.post(
      '/v1/messages',
      { model: 'claude-opus-4-6', max_tokens: 100, system: 'Be brief.', messages: [{ role: 'user', content }] },
      as(agent),
    );
    expect(res.status).toBe(200);
    const { call, settle, all } = await spansOf(receiver, res.headers.get('x-cynsta-request-id'));
    const ledger = await ledgerOf(s, agent);
    expect(call.name).toBe('chat claude-opus-4-6');
    expect(call.attributes).toMatchObject({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.operation.name': 'chat',
      'gen_ai.usage.input_tokens': 1300,
      'gen_ai.usage.cache_read.input_tokens': 200,
      'gen_ai.usage.cache_creation.input_tokens': 100,
      'gen_ai.usage.output_tokens': 40,
      'gen_ai.response.finish_reasons': ['end_turn'],
      'gen_ai.request.max_tokens': 100,
      'spendguard.model': 'anthropic:claude-opus-4-6',
      'spendguard.prompt.sha384': sha384(`Be brief.\n${content}`),
      'spendguard.completion.sha384': sha384('tok '.repeat(40)),
      'spendguard.cost.microcents': ledger.cost,
    });
    expect(settle!.attributes).toMatchObject({ 'spendguard.settlement.outcome': 'settle', 'spendguard.cost.microcents': ledger.cost, 'spendguard.tokens_in': 1300 });
    expectNoContent(all, marker);
  });

  it('a Gemini call: provider gcp.gemini, operation generate_content, the model version that answered', async () => {
    const agent = await s.agent(100);
    const marker = `secret-${randomBytes(6).toString('hex')}`;
    const content = promptOf(marker);
    s.fake.setBehavior({ usage: { input: 1000, output: 20 } });
    const res = await s.http.post(
      '/v1beta/models/gemini-3-pro-preview:generateContent',
      { contents: [{ role: 'user', parts: [{ text: content }] }], generationConfig: { maxOutputTokens: 100, temperature: 0.5 } },
      as(agent),
    );
    expect(res.status).toBe(200);
    const { call, settle, all } = await spansOf(receiver, res.headers.get('x-cynsta-request-id'));
    const ledger = await ledgerOf(s, agent);
    expect(call.name).toBe('generate_content gemini-3-pro-preview');
    expect(call.attributes).toMatchObject({
      'gen_ai.provider.name': 'gcp.gemini',
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.response.model': 'gemini-3-pro-preview',
      'gen_ai.request.temperature': 0.5,
      'gen_ai.request.max_tokens': 100,
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 20,
      'spendguard.model': 'gemini:gemini-3-pro-preview',
      'spendguard.prompt.sha384': sha384(content),
      'spendguard.completion.sha384': sha384('tok '.repeat(20)),
      'spendguard.cost.microcents': ledger.cost,
    });
    expect(settle!.attributes).toMatchObject({ 'spendguard.settlement.outcome': 'settle', 'spendguard.cost.microcents': ledger.cost });
    expectNoContent(all, marker);
  });

  it('a provider refusal: an error span with the provider status and code, the hold released', async () => {
    const agent = await s.agent(100);
    s.fake.enqueue({ status: 429 });
    const res = await s.http.post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, as(agent));
    expect(res.status).toBe(429);
    const { call, settle } = await spansOf(receiver, res.headers.get('x-cynsta-request-id'));
    expect(call.status.code).toBe(STATUS_ERROR);
    expect(call.attributes).toMatchObject({
      'http.response.status_code': 429,
      'spendguard.status_code': 429,
      'spendguard.upstream.error_code': 'rate_limit_exceeded',
      'error.type': 'rate_limit_exceeded',
    });
    expect(call.attributes['spendguard.completion.sha384']).toBeUndefined();
    expect(settle!.attributes).toMatchObject({ 'spendguard.settlement.outcome': 'release', 'spendguard.cost.microcents': 0 });
  });

  it('a call refused before the provider: a call span with our error code and no settlement', async () => {
    const agent = await s.agent(1);
    const res = await s.http.post(
      '/v1/chat/completions',
      { model: 'gpt-4o-mini', max_tokens: 16_384, messages: [{ role: 'user', content: promptOf('refused') }] },
      as(agent, { 'x-cynsta-clamp': 'off' }),
    );
    expect(res.status).toBe(402);
    const requestId = res.headers.get('x-cynsta-request-id');
    const { call } = await spansOf(receiver, requestId, false);
    await (s.t.app.get(CALL_OBSERVER) as TelemetryService).flush();
    expect(receiver.spans.filter((x) => x.attributes['spendguard.request_id'] === requestId)).toHaveLength(1);
    expect(call.status.code).toBe(STATUS_ERROR);
    expect(call.attributes).toMatchObject({ 'spendguard.status_code': 402, 'spendguard.error.code': 'insufficient_budget', 'error.type': 'insufficient_budget' });
    expect(call.attributes['http.response.status_code']).toBeUndefined();
  });
});

describe('exported spans with CAP_CAPTURE_PROMPT_RESPONSE=true', () => {
  const { s, receiver } = useExportingStack({ CAP_CAPTURE_PROMPT_RESPONSE: 'true' });

  it('a whole answer carries the prompt and the completion as GenAI messages', async () => {
    const agent = await s.agent(100);
    const prompt = `What is ${randomBytes(4).toString('hex')}?`;
    s.fake.setBehavior({ usage: { output: 12 } });
    const res = await s.http.post(
      '/v1/messages',
      { model: 'claude-opus-4-6', max_tokens: 50, system: 'Answer in one word.', messages: [{ role: 'user', content: prompt }] },
      as(agent),
    );
    expect(res.status).toBe(200);
    const { call } = await spansOf(receiver, res.headers.get('x-cynsta-request-id'));
    expect(JSON.parse(String(call.attributes['gen_ai.input.messages']))).toEqual([{ role: 'user', parts: [{ type: 'text', content: prompt }] }]);
    expect(JSON.parse(String(call.attributes['gen_ai.system_instructions']))).toEqual([{ type: 'text', content: 'Answer in one word.' }]);
    expect(JSON.parse(String(call.attributes['gen_ai.output.messages']))).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'tok '.repeat(12) }], finish_reason: 'end_turn' },
    ]);
    expect(call.attributes['spendguard.prompt.sha384']).toBe(sha384(`Answer in one word.\n${prompt}`));
  });

  it('a Responses stream carries the completion as it was streamed', async () => {
    const agent = await s.agent(100);
    const prompt = `Tell me about ${randomBytes(4).toString('hex')}.`;
    s.fake.setBehavior({ usage: { output: 7 } });
    const res = await s.http.post('/v1/responses', { model: 'gpt-4o-mini', input: prompt, stream: true }, as(agent));
    expect(res.status).toBe(200);
    const { call } = await spansOf(receiver, res.headers.get('x-cynsta-request-id'));
    expect(JSON.parse(String(call.attributes['gen_ai.input.messages']))).toEqual([{ role: 'user', parts: [{ type: 'text', content: prompt }] }]);
    const [output] = JSON.parse(String(call.attributes['gen_ai.output.messages']));
    expect(output).toEqual({ role: 'assistant', parts: [{ type: 'text', content: 'tok '.repeat(7) }], finish_reason: 'completed' });
    expect(call.attributes['spendguard.completion.sha384']).toBe(sha384('tok '.repeat(7)));
    expect(call.attributes['gen_ai.usage.output_tokens']).toBe(7);
  });
});

describe('telemetry off', () => {
  it('sends nothing when CAP_INGEST_URL is set without a key, and observes no call', async () => {
    const receiver = await new OtlpReceiver().start();
    const s = await startProxyStack({ env: { CAP_INGEST_URL: receiver.tracesUrl } });
    try {
      expect(s.t.app.get(CALL_OBSERVER)).toBeNull();
      const agent = await s.agent(100);
      const res = await s.http.post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, as(agent));
      expect(res.status).toBe(200);
      // Past the exporter's batch delay (1 s): anything exported would have arrived.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(receiver.requests).toEqual([]);
      await expectLedgerBalanced(s.t.pool);
    } finally {
      await s.close();
      await receiver.close();
    }
  });

  it('observes no call when the key is set without a URL', async () => {
    const t = await startTestApp({ env: { CAP_INGEST_API_KEY: INGEST_KEY } });
    try {
      expect(t.config.telemetry).toBeUndefined();
      expect(t.app.get(CALL_OBSERVER)).toBeNull();
    } finally {
      await t.close();
    }
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
