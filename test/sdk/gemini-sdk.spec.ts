// The official Gemini SDK (@google/genai) with httpOptions.baseUrl = the service: it calls
// /v1beta/models/{model}:generateContent and :streamGenerateContent?alt=sse, priced from
// usageMetadata (cumulative on every stream chunk; the last one holds the totals).
import { ApiError, GoogleGenAI } from '@google/genai';
import { PROVIDER_KEYS, useProxyStack } from '../support/proxy-stack';
import { centsCeil, centsFloor, expectNothingCharged, expectOneSettledCall, RATES } from './sdk-support';

const CLIENT_KEY = 'AIza-client-key-never-forwarded';
const MODEL = 'gemini-3-pro-preview';
const pro = RATES[MODEL];

const s = useProxyStack();

function client(agentId?: string): GoogleGenAI {
  return new GoogleGenAI({
    apiKey: CLIENT_KEY,
    httpOptions: { baseUrl: s.t.url, headers: agentId ? { 'x-cynsta-agent-id': agentId } : {} },
  });
}

/** sdkHttpResponse.headers: a plain record in this SDK (a Headers object in some versions). */
function header(res: { sdkHttpResponse?: { headers?: unknown } }, name: string): string | undefined {
  const h = res.sdkHttpResponse?.headers as any;
  if (!h) return undefined;
  return typeof h.get === 'function' ? (h.get(name) ?? undefined) : h[name];
}

function expectProviderKeyOnly(): void {
  expect(s.fake.received.length).toBeGreaterThan(0);
  for (const r of s.fake.received) {
    expect(r.apiKey).toBe(PROVIDER_KEYS.GEMINI_API_KEY);
    expect(JSON.stringify(r.headers)).not.toContain(CLIENT_KEY);
    expect(r.query).not.toContain(CLIENT_KEY);
  }
}

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe('generateContent', () => {
  it('non-streaming: response.text, x-cynsta headers and the exact cost with cached input', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 900, cachedInput: 100, output: 25 } });
    const res = await client(agent).models.generateContent({
      model: MODEL,
      contents: 'Why is the sky blue?',
      config: { maxOutputTokens: 300, httpOptions: { headers: { 'x-cynsta-run-id': 'run-gemini' } } },
    });
    expect(res.text).toBe('tok '.repeat(25));
    expect(res.candidates?.[0].finishReason).toBe('STOP');
    expect(res.usageMetadata).toMatchObject({ promptTokenCount: 1000, cachedContentTokenCount: 100, candidatesTokenCount: 25 });

    // 900 × 200 + 100 × 20 + 25 × 1,200 = 180,000 + 2,000 + 30,000
    const cost = 900n * pro.input + 100n * pro.cachedInput + 25n * pro.output;
    expect(cost).toBe(212_000n);
    expect(header(res, 'x-cynsta-run-id')).toBe('run-gemini');
    expect(header(res, 'x-cynsta-cost-cents')).toBe(centsCeil(cost));
    expect(header(res, 'x-cynsta-max-tokens')).toBe('300');
    const hold = await expectOneSettledCall(s, agent, 100, {
      costMicrocents: cost,
      runId: 'run-gemini',
      provider: 'gemini',
      model: MODEL,
      requestId: header(res, 'x-cynsta-request-id'),
    });
    expect(header(res, 'x-cynsta-reserved-cents')).toBe(centsCeil(hold));
    expect(header(res, 'x-cynsta-remaining-cents')).toBe(centsFloor(100_000_000n - cost));

    const sent = s.fake.received.at(-1)!;
    expect(sent.path).toBe(`/v1beta/models/${MODEL}:generateContent`);
    expect(sent.body).toMatchObject({ contents: [{ role: 'user', parts: [{ text: 'Why is the sky blue?' }] }], generationConfig: { maxOutputTokens: 300 } });
    expectProviderKeyOnly();
  });

  it('streaming with generateContentStream: the chunks carry the text; settled once from the final usageMetadata', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 640, output: 6 } });
    const stream = await client(agent).models.generateContentStream({
      model: MODEL,
      contents: [{ role: 'user', parts: [{ text: 'Stream a haiku.' }] }],
      config: { httpOptions: { headers: { 'x-cynsta-run-id': 'run-gemini-stream' } } },
    });
    let text = '';
    let first: any;
    let last: any;
    for await (const chunk of stream) {
      first ??= chunk;
      last = chunk;
      text += chunk.text ?? '';
    }
    expect(text).toBe('tok '.repeat(6));
    expect(last.usageMetadata).toMatchObject({ promptTokenCount: 640, candidatesTokenCount: 6 });
    expect(last.candidates[0].finishReason).toBe('STOP');
    expect(header(first, 'x-cynsta-run-id')).toBe('run-gemini-stream');
    expect(header(first, 'x-cynsta-reserved-cents')).toEqual(expect.any(String));
    expect(header(first, 'content-type')).toMatch(/^text\/event-stream/);

    await expectOneSettledCall(s, agent, 100, {
      costMicrocents: 640n * pro.input + 6n * pro.output,
      runId: 'run-gemini-stream',
      provider: 'gemini',
      model: MODEL,
    });
    const sent = s.fake.received.at(-1)!;
    expect(sent.path).toBe(`/v1beta/models/${MODEL}:streamGenerateContent`);
    expect(sent.query).toContain('alt=sse');
    expectProviderKeyOnly();
  });

  it('grounding queries (googleSearch tool) are charged per 1,000 at the card’s rate', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 50, output: 5 }, groundingQueries: 2 });
    // With the googleSearch tool the hold allows for grounding queries, so 2 of them fit in it.
    const res = await client(agent).models.generateContent({ model: MODEL, contents: 'search the web', config: { tools: [{ googleSearch: {} }] } });
    expect(res.text).toBe('tok '.repeat(5));
    // 2 queries × 3,500 ¢ / 1,000 = 7 ¢ = 7,000,000 µ¢
    const cost = 50n * pro.input + 5n * pro.output + 7_000_000n;
    await expectOneSettledCall(s, agent, 100, { costMicrocents: cost, provider: 'gemini', model: MODEL });
  });
});

describe('refusals as the SDK reports them', () => {
  it('402: ApiError with status 402 whose message carries SpendGuard’s body; nothing upstream or charged', async () => {
    const agent = await s.agent(1);
    const err = await rejection(
      client(agent).models.generateContent({
        model: MODEL,
        contents: 'too dear',
        config: { maxOutputTokens: 5_000, httpOptions: { headers: { 'x-cynsta-clamp': 'off' } } },
      }),
    );
    expect(err.status).toBe(402);
    const body = JSON.parse(err.message);
    expect(body).toMatchObject({ detail: 'Insufficient budget', error: { code: 'insufficient_budget', message: expect.stringMatching(/insufficient budget/) }, remaining_cents: 1 });
    expect(s.fake.requestCount).toBe(0);
    await expectNothingCharged(s, agent);
  });

  it('402 on a stream: the error comes before any chunk', async () => {
    const agent = await s.agent(1);
    const err = await rejection(
      (async () => {
        const stream = await client(agent).models.generateContentStream({
          model: MODEL,
          contents: 'x'.repeat(40_000), // ≥ 5,000 input tokens × 200 µ¢ = 1 ¢
        });
        for await (const _ of stream) void _;
      })(),
    );
    expect(err.status).toBe(402);
    expect(s.fake.requestCount).toBe(0);
    await expectNothingCharged(s, agent);
  });

  it('409: an exclusive agent with a call in flight', async () => {
    const agent = await s.agent(100, { concurrency: 'exclusive' });
    s.fake.setBehavior({ usage: { input: 10, output: 2 } });
    s.fake.enqueue({ latencyMs: 1_500 }, { route: 'gemini.generateContent' });
    const c = client(agent);
    const first = c.models.generateContent({ model: MODEL, contents: 'slow', config: { httpOptions: { headers: { 'x-cynsta-run-id': 'run-g-holder' } } } });
    await s.fake.waitForRequests(1);
    const err = await rejection(c.models.generateContent({ model: MODEL, contents: 'second' }));
    expect(err.status).toBe(409);
    expect(JSON.parse(err.message)).toMatchObject({ locked_run_id: 'run-g-holder', error: { code: 'agent_locked' } });
    expect((await first).text).toBe('tok tok ');
    expect(s.fake.requestCount).toBe(1);
    await expectOneSettledCall(s, agent, 100, { costMicrocents: 10n * pro.input + 2n * pro.output, runId: 'run-g-holder', provider: 'gemini', model: MODEL });
  });

  it('400 without x-cynsta-agent-id', async () => {
    const err = await rejection(client(undefined).models.generateContent({ model: MODEL, contents: 'who pays?' }));
    expect(err.status).toBe(400);
    expect(err.message).toContain('x-cynsta-agent-id');
    expect(s.fake.requestCount).toBe(0);
  });

  it('400 unknown_model for a model without a price', async () => {
    const agent = await s.agent(100);
    const err = await rejection(client(agent).models.generateContent({ model: 'gemini-unpriced', contents: 'hi' }));
    expect(err.status).toBe(400);
    expect(JSON.parse(err.message)).toMatchObject({ error: { code: 'unknown_model' } });
    expect(s.fake.requestCount).toBe(0);
    await expectNothingCharged(s, agent);
  });
});
