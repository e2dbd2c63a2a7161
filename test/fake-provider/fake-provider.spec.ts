// The fake provider itself, over real HTTP with plain fetch: every route streaming and not, the
// knobs, recording and concurrency accounting.
import { parseBehaviorSpec, startFakeProvider, type FakeProvider } from './fake-provider';
import { parseSse, sseJson } from './sse';

type Json = Record<string, any>;

const OPENAI = { authorization: 'Bearer sk-test', 'content-type': 'application/json' };
const ANTHROPIC = { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };
const GEMINI = { 'x-goog-api-key': 'AIza-test', 'content-type': 'application/json' };

let fake: FakeProvider;

beforeAll(async () => {
  fake = await startFakeProvider();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

function post(path: string, body: unknown, headers: Record<string, string> = OPENAI, signal?: AbortSignal): Promise<Response> {
  return fetch(fake.url + path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body), signal });
}

const chat = (content: string, extra: Json = {}) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], ...extra });
const anthropic = (content: string, extra: Json = {}) => ({ model: 'claude-sonnet-4-5', max_tokens: 1000, messages: [{ role: 'user', content }], ...extra });
const gemini = (text: string, extra: Json = {}) => ({ contents: [{ role: 'user', parts: [{ text }] }], ...extra });
const GEMINI_PATH = '/v1beta/models/gemini-2.5-flash';

/** Reads a body to its end or to the error that cut it, keeping what arrived. */
async function readUntilCut(res: Response): Promise<{ text: string; error?: unknown; times: number[] }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const times: number[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text, times };
      times.push(Date.now());
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    return { text, error, times };
  }
}

const words = (text: string) => text.split(' ').filter((w) => w !== '').length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('OpenAI Chat Completions', () => {
  it('answers a chat.completion with usage computed from the request', async () => {
    const res = await post('/v1/chat/completions', chat('x'.repeat(41)));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    const body = (await res.json()) as Json;
    expect(body).toMatchObject({ object: 'chat.completion', model: 'gpt-4o-mini', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant' } }] });
    expect(body.id).toMatch(/^chatcmpl-/);
    // 41 bytes of prompt → ceil(41 / 4) = 11; no cap → the default 20 output tokens.
    expect(body.usage).toEqual({
      prompt_tokens: 11,
      completion_tokens: 20,
      total_tokens: 31,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    });
    expect(words(body.choices[0].message.content)).toBe(20);
  });

  it('stops at the request cap (max_tokens or max_completion_tokens) with finish_reason length', async () => {
    for (const cap of [{ max_tokens: 3 }, { max_completion_tokens: 3 }]) {
      const body = (await (await post('/v1/chat/completions', chat('hi', cap))).json()) as Json;
      expect(body.usage.completion_tokens).toBe(3);
      expect(body.choices[0].finish_reason).toBe('length');
      expect(body.choices[0].message.content).toBe('tok tok tok ');
    }
  });

  it('reports exact usage: cached inside prompt tokens, reasoning inside completion tokens', async () => {
    fake.setBehavior({ usage: { input: 100, cachedInput: 40, output: 7, reasoning: 5 } });
    const body = (await (await post('/v1/chat/completions', chat('hi'))).json()) as Json;
    expect(body.usage).toMatchObject({
      prompt_tokens: 140,
      completion_tokens: 12,
      total_tokens: 152,
      prompt_tokens_details: { cached_tokens: 40 },
      completion_tokens_details: { reasoning_tokens: 5 },
    });
    expect(words(body.choices[0].message.content)).toBe(7);
  });

  it('can report reasoning beside completion tokens, as grok-3-mini did', async () => {
    const body = (await (await post('/xai/v1/chat/completions', chat('hi [[fake:output=7,reasoning=5,reasoningInCompletion=false]]', { model: 'grok-3-mini' }))).json()) as Json;
    expect(body.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: 7, completion_tokens_details: { reasoning_tokens: 5 } });
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + 12);
  });

  it('streams chunks then [DONE], without a usage chunk unless stream_options.include_usage', async () => {
    const res = await post('/v1/chat/completions', chat('hi', { stream: true, max_tokens: 4 }));
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const text = await res.text();
    const events = parseSse(text);
    expect(events.at(-1)!.data).toBe('[DONE]');
    const chunks = sseJson(text);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && !('usage' in c))).toBe(true);
    expect((chunks[0] as Json).choices[0].delta).toEqual({ role: 'assistant', content: '', refusal: null });
    const content = chunks.map((c: Json) => c.choices[0]?.delta?.content ?? '').join('');
    expect(content).toBe('tok tok tok tok ');
    expect((chunks.at(-1) as Json).choices[0].finish_reason).toBe('length');
  });

  it('streams the usage chunk (empty choices) last before [DONE] with include_usage', async () => {
    fake.setBehavior({ usage: { input: 9, cachedInput: 1, output: 3, reasoning: 2 } });
    const text = await (await post('/v1/chat/completions', chat('hi', { stream: true, stream_options: { include_usage: true } }))).text();
    expect(parseSse(text).at(-1)!.data).toBe('[DONE]');
    const chunks = sseJson(text) as Json[];
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, prompt_tokens_details: { cached_tokens: 1 }, completion_tokens_details: { reasoning_tokens: 2 } });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(chunks.filter((c) => c.choices[0]?.delta?.content === 'tok ')).toHaveLength(3);
  });
});

describe('OpenAI Responses', () => {
  it('answers a response object with a message output item and usage details', async () => {
    fake.setBehavior({ usage: { input: 30, cachedInput: 10, output: 4, reasoning: 2 } });
    const body = (await (await post('/v1/responses', { model: 'gpt-5-mini', input: 'hello', instructions: 'be brief' })).json()) as Json;
    expect(body).toMatchObject({ object: 'response', status: 'completed', model: 'gpt-5-mini', instructions: 'be brief' });
    expect(body.id).toMatch(/^resp_/);
    expect(body.output.map((item: Json) => item.type)).toEqual(['reasoning', 'message']);
    const message = body.output[1];
    expect(message).toMatchObject({ role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'tok tok tok tok ' }] });
    expect(body.usage).toEqual({
      input_tokens: 40,
      input_tokens_details: { cached_tokens: 10 },
      output_tokens: 6,
      output_tokens_details: { reasoning_tokens: 2 },
      total_tokens: 46,
    });
  });

  it('adds web_search_call items, and ends "incomplete" when max_output_tokens cut the answer', async () => {
    const body = (await (await post('/v1/responses', { model: 'gpt-5', input: 'news [[fake:webSearchCalls=2]]', max_output_tokens: 5 })).json()) as Json;
    expect(body.output.map((item: Json) => item.type)).toEqual(['web_search_call', 'web_search_call', 'message']);
    expect(body.output[0]).toMatchObject({ status: 'completed', action: { type: 'search' } });
    expect(body.status).toBe('incomplete');
    expect(body.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(body.usage.output_tokens).toBe(5);
  });

  it('streams typed events with sequence numbers, ending with response.completed carrying usage', async () => {
    fake.setBehavior({ usage: { input: 8, output: 3 } });
    const res = await post('/v1/responses', { model: 'gpt-5', input: [{ role: 'user', content: [{ type: 'input_text', text: 'hi' }] }], stream: true });
    const events = parseSse(await res.text());
    expect(events.map((e) => e.event)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const data = events.map((e) => JSON.parse(e.data) as Json);
    expect(data.map((d) => d.sequence_number)).toEqual(data.map((_, i) => i));
    expect(data.every((d, i) => d.type === events[i].event)).toBe(true);
    expect(data[0].response).toMatchObject({ status: 'in_progress', usage: null });
    expect(data.at(-1)!.response).toMatchObject({ status: 'completed', usage: { input_tokens: 8, output_tokens: 3, total_tokens: 11 } });
    expect(data[7].text).toBe('tok tok tok ');
  });

  it('streams web search calls as output items and ends with response.incomplete when capped', async () => {
    const res = await post('/v1/responses', { model: 'gpt-5', input: 'q [[fake:webSearchCalls=1]]', stream: true, max_output_tokens: 2 });
    const events = parseSse(await res.text());
    const names = events.map((e) => e.event);
    expect(names).toContain('response.web_search_call.completed');
    expect(names.at(-1)).toBe('response.incomplete');
    const final = JSON.parse(events.at(-1)!.data) as Json;
    expect(final.response.output.filter((item: Json) => item.type === 'web_search_call')).toHaveLength(1);
    expect(final.response.usage.output_tokens).toBe(2);
  });
});

describe('OpenAI Embeddings', () => {
  it('answers a list of embeddings with usage, one per input', async () => {
    const body = (await (await post('/v1/embeddings', { model: 'text-embedding-3-small', input: ['abcd', 'efghijkl'] })).json()) as Json;
    expect(body).toMatchObject({ object: 'list', model: 'text-embedding-3-small', usage: { prompt_tokens: 3, total_tokens: 3 } });
    expect(body.data).toHaveLength(2);
    expect(body.data[1]).toMatchObject({ object: 'embedding', index: 1 });
    expect(body.data[0].embedding).toHaveLength(8);
  });

  it('answers base64 vectors (the SDK default) of the requested dimensions; token arrays count their length', async () => {
    const body = (await (await post('/v1/embeddings', { model: 'text-embedding-3-large', input: [1, 2, 3, 4, 5], encoding_format: 'base64', dimensions: 16 })).json()) as Json;
    const bytes = Buffer.from(body.data[0].embedding as string, 'base64');
    expect(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)).toHaveLength(16);
    expect(body.usage.prompt_tokens).toBe(5);
  });
});

describe('Anthropic Messages', () => {
  it('answers a message with usage incl. cache writes and reads, thinking counted in output_tokens', async () => {
    fake.setBehavior({ usage: { input: 50, cacheWrite: 200, cacheRead: 300, output: 6, reasoning: 4 } });
    const res = await post('/v1/messages', anthropic('hello'), ANTHROPIC);
    expect(res.headers.get('request-id')).toMatch(/^req_/);
    const body = (await res.json()) as Json;
    expect(body).toMatchObject({ type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', stop_reason: 'end_turn', stop_sequence: null });
    expect(body.content.map((b: Json) => b.type)).toEqual(['thinking', 'text']);
    expect(words(body.content[1].text)).toBe(6);
    expect(body.usage).toMatchObject({ input_tokens: 50, cache_creation_input_tokens: 200, cache_read_input_tokens: 300, output_tokens: 10 });
  });

  it('computes default usage from system and messages, and stops at max_tokens', async () => {
    const body = (await (await post('/v1/messages', anthropic('y'.repeat(10), { system: 'z'.repeat(6), max_tokens: 2 }), ANTHROPIC)).json()) as Json;
    expect(body.usage).toMatchObject({ input_tokens: 4, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
    expect(body.stop_reason).toBe('max_tokens');
  });

  it('reports web searches in usage.server_tool_use', async () => {
    const body = (await (await post('/v1/messages', anthropic('[[fake:webSearchCalls=3]]'), ANTHROPIC)).json()) as Json;
    expect(body.usage.server_tool_use).toEqual({ web_search_requests: 3 });
  });

  it('streams message_start (input usage) … content_block_delta … message_delta (output usage), message_stop', async () => {
    fake.setBehavior({ usage: { input: 12, cacheRead: 5, output: 3 } });
    const res = await post('/v1/messages', anthropic('hi', { stream: true }), ANTHROPIC);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const events = parseSse(await res.text());
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const data = events.map((e) => JSON.parse(e.data) as Json);
    expect(data.every((d, i) => d.type === events[i].event)).toBe(true);
    expect(data[0].message).toMatchObject({ content: [], stop_reason: null, usage: { input_tokens: 12, cache_read_input_tokens: 5, output_tokens: 1 } });
    expect(data[3].delta).toEqual({ type: 'text_delta', text: 'tok ' });
    expect(data[7]).toMatchObject({ delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 3 } });
  });

  it('streams a thinking block before the text when there are reasoning tokens', async () => {
    const events = parseSse(await (await post('/v1/messages', anthropic('[[fake:output=1,reasoning=2]]', { stream: true }), ANTHROPIC)).text());
    const data = events.map((e) => JSON.parse(e.data) as Json);
    expect(data[1].content_block.type).toBe('thinking');
    expect(data.filter((d) => d.delta?.type === 'thinking_delta')).toHaveLength(2);
    expect(data.find((d) => d.type === 'message_delta')!.usage.output_tokens).toBe(3);
  });
});

describe('Gemini', () => {
  it('answers a GenerateContentResponse with usageMetadata', async () => {
    fake.setBehavior({ usage: { input: 20, cachedInput: 5, output: 4, reasoning: 7 } });
    const res = await post(`${GEMINI_PATH}:generateContent`, gemini('hello'), GEMINI);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body.candidates[0]).toMatchObject({ content: { role: 'model', parts: [{ text: 'tok tok tok tok ' }] }, finishReason: 'STOP', index: 0 });
    expect(body.usageMetadata).toMatchObject({ promptTokenCount: 25, cachedContentTokenCount: 5, candidatesTokenCount: 4, thoughtsTokenCount: 7, totalTokenCount: 36 });
    expect(body.modelVersion).toBe('gemini-2.5-flash');
  });

  it('counts systemInstruction and contents, honours generationConfig.maxOutputTokens and grounding queries', async () => {
    const body = (await (
      await post(`${GEMINI_PATH}:generateContent`, gemini('a'.repeat(8), { systemInstruction: { parts: [{ text: 'b'.repeat(4) }] }, generationConfig: { maxOutputTokens: 2 } }), GEMINI)
    ).json()) as Json;
    expect(body.usageMetadata).toMatchObject({ promptTokenCount: 3, candidatesTokenCount: 2 });
    expect(body.candidates[0].finishReason).toBe('MAX_TOKENS');
    const grounded = (await (await post(`${GEMINI_PATH}:generateContent`, gemini('[[fake:groundingQueries=2]]'), GEMINI)).json()) as Json;
    expect(grounded.candidates[0].groundingMetadata.webSearchQueries).toHaveLength(2);
  });

  it('streams with alt=sse: CRLF-separated data events, cumulative usageMetadata, totals on the last', async () => {
    fake.setBehavior({ usage: { input: 10, output: 3, reasoning: 2 } });
    const res = await post(`${GEMINI_PATH}:streamGenerateContent?alt=sse`, gemini('hi [[fake:groundingQueries=1]]'), GEMINI);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const text = await res.text();
    expect(text).toContain('\r\n\r\n');
    const chunks = sseJson(text) as Json[];
    expect(chunks).toHaveLength(3);
    expect(chunks.map((c) => c.usageMetadata.candidatesTokenCount)).toEqual([1, 2, 3]);
    expect(chunks.at(-1)!.usageMetadata).toMatchObject({ promptTokenCount: 10, candidatesTokenCount: 3, thoughtsTokenCount: 2, totalTokenCount: 15 });
    expect(chunks.at(-1)!.candidates[0].finishReason).toBe('STOP');
    expect(chunks.slice(0, -1).every((c) => c.candidates[0].finishReason === undefined)).toBe(true);
    expect(chunks.filter((c) => c.candidates[0].groundingMetadata)).toHaveLength(1);
  });

  it('streams one JSON array without alt=sse', async () => {
    const res = await post(`${GEMINI_PATH}:streamGenerateContent`, gemini('[[fake:output=2]]'), GEMINI);
    const chunks = JSON.parse(await res.text()) as Json[];
    expect(chunks).toHaveLength(2);
    expect(chunks[1].usageMetadata.candidatesTokenCount).toBe(2);
  });

  it('accepts the key as ?key= and records the model from the path', async () => {
    const res = await post('/v1beta/models/gemini-2.5-pro:generateContent?key=AIza-query', gemini('hi'), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect(fake.received[0]).toMatchObject({ route: 'gemini.generateContent', provider: 'gemini', model: 'gemini-2.5-pro', apiKey: 'AIza-query', prefix: '/v1beta' });
  });
});

describe('providers and base URLs', () => {
  it('serves every route under the env() base URLs in each SDK convention', async () => {
    const env = fake.env();
    expect(env).toEqual({ OPENAI_BASE_URL: `${fake.url}/v1`, XAI_BASE_URL: `${fake.url}/xai/v1`, ANTHROPIC_BASE_URL: fake.url, GEMINI_BASE_URL: fake.url });
    const calls: [string, unknown, Record<string, string>][] = [
      [`${env.OPENAI_BASE_URL}/chat/completions`, chat('a'), OPENAI],
      [`${env.XAI_BASE_URL}/responses`, { model: 'grok-4', input: 'a' }, OPENAI],
      [`${env.OPENAI_BASE_URL}/embeddings`, { model: 'text-embedding-3-small', input: 'a' }, OPENAI],
      [`${env.ANTHROPIC_BASE_URL}/v1/messages`, anthropic('a'), ANTHROPIC],
      [`${env.GEMINI_BASE_URL}/v1beta/models/gemini-2.5-flash:generateContent`, gemini('a'), GEMINI],
    ];
    for (const [url, body, headers] of calls) {
      const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
      expect(res.status).toBe(200);
    }
    expect(fake.received.map((r) => [r.route, r.provider])).toEqual([
      ['openai.chat', 'openai'],
      ['openai.responses', 'xai'],
      ['openai.embeddings', 'openai'],
      ['anthropic.messages', 'anthropic'],
      ['gemini.generateContent', 'gemini'],
    ]);
  });

  it('takes a Grok model on the OpenAI prefix as xAI, and answers xAI errors as {code, error}', async () => {
    await post('/v1/chat/completions', chat('a', { model: 'grok-4' }));
    expect(fake.received[0].provider).toBe('xai');
    const res = await post('/xai/v1/chat/completions', chat('[[fake:status=429]]', { model: 'grok-4' }));
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual({ code: expect.any(String), error: expect.any(String) });
  });

  it('answers 404 for an unknown path', async () => {
    const res = await post('/v1/completions', { model: 'x' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as Json).error.message).toContain('no route');
  });
});

describe('authentication', () => {
  it('answers 401 in each provider format when the credential is missing', async () => {
    const noAuth = { 'content-type': 'application/json' };
    const openai = await post('/v1/chat/completions', chat('a'), noAuth);
    expect(openai.status).toBe(401);
    expect(((await openai.json()) as Json).error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' });
    const ant = await post('/v1/messages', anthropic('a'), { 'anthropic-version': '2023-06-01', ...noAuth });
    expect(ant.status).toBe(401);
    expect(await ant.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    const gem = await post(`${GEMINI_PATH}:generateContent`, gemini('a'), noAuth);
    expect(gem.status).toBe(401);
    expect(await gem.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
    const empty = await post('/v1/chat/completions', chat('a'), { authorization: 'Bearer ', ...noAuth });
    expect(empty.status).toBe(401);
  });

  it('records the credential and checks it against apiKeys when configured', async () => {
    const strict = await startFakeProvider({ apiKeys: { openai: 'sk-right', anthropic: 'sk-ant-right' } });
    try {
      const call = (key: string) => fetch(`${strict.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: JSON.stringify(chat('a')) });
      expect((await call('sk-wrong')).status).toBe(401);
      expect((await call('sk-right')).status).toBe(200);
      expect(strict.received.map((r) => r.apiKey)).toEqual(['sk-wrong', 'sk-right']);
      const viaBearer = await fetch(`${strict.url}/v1/messages`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-ant-right', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify(anthropic('a')),
      });
      expect(viaBearer.status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('answers 400 like the real APIs for a missing anthropic-version, max_tokens or model, and a body that is not JSON', async () => {
    const { 'anthropic-version': _, ...noVersion } = ANTHROPIC;
    expect((await post('/v1/messages', anthropic('a'), noVersion)).status).toBe(400);
    const { max_tokens: __, ...noMax } = anthropic('a');
    const res = await post('/v1/messages', noMax, ANTHROPIC);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } });
    expect((await post('/v1/chat/completions', { messages: [] })).status).toBe(400);
    expect((await post('/v1/chat/completions', '{"model": "gpt-4o", ')).status).toBe(400);
    const lax = await startFakeProvider({ strict: false });
    try {
      const ok = await fetch(`${lax.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': 'k' }, body: JSON.stringify({ model: 'claude', messages: [] }) });
      expect(ok.status).toBe(200);
    } finally {
      await lax.close();
    }
  });
});

describe('knobs', () => {
  it('answers an error status in each provider format, with extra headers', async () => {
    fake.setBehavior({ status: 429, headers: { 'retry-after': '7' } });
    const openai = await post('/v1/chat/completions', chat('a', { stream: true }));
    expect(openai.status).toBe(429);
    expect(openai.headers.get('retry-after')).toBe('7');
    expect(await openai.json()).toEqual({ error: { message: expect.any(String), type: 'requests', param: null, code: 'rate_limit_exceeded' } });
    fake.setBehavior({ status: 529 });
    expect(await (await post('/v1/messages', anthropic('a'), ANTHROPIC)).json()).toMatchObject({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    fake.setBehavior({ status: 503, errorMessage: 'try later', errorType: 'UNAVAILABLE' });
    expect(await (await post(`${GEMINI_PATH}:streamGenerateContent?alt=sse`, gemini('a'), GEMINI)).json()).toEqual({ error: { code: 503, message: 'try later', status: 'UNAVAILABLE' } });
    fake.setBehavior({ status: 500, errorMessage: undefined, errorType: undefined });
    const server = await post('/v1/responses', { model: 'gpt-5', input: 'a' });
    expect(server.status).toBe(500);
    expect(((await server.json()) as Json).error.type).toBe('server_error');
    expect(fake.received.map((r) => r.status)).toEqual([429, 529, 503, 500]);
  });

  it('waits latencyMs before the headers', async () => {
    const started = Date.now();
    const res = await post('/v1/chat/completions', chat('[[fake:latencyMs=150]]'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(res.status).toBe(200);
  });

  it('answers truncated JSON with malformedJson, and one broken stream event when streaming', async () => {
    const text = await (await post('/v1/chat/completions', chat('[[fake:malformedJson]]'))).text();
    expect(() => JSON.parse(text)).toThrow();
    const stream = await (await post('/v1/messages', anthropic('[[fake:malformedJson,output=3]]', { stream: true }), ANTHROPIC)).text();
    const events = parseSse(stream);
    const broken = events.filter((e) => {
      try {
        JSON.parse(e.data);
        return false;
      } catch {
        return true;
      }
    });
    expect(broken).toHaveLength(1);
    expect(broken[0].event).toBe('content_block_delta');
    expect(events.at(-1)!.event).toBe('message_stop');
  });

  it('resets the connection instead of answering with resetConnection', async () => {
    await expect(post('/v1/chat/completions', chat('[[fake:resetConnection]]'))).rejects.toThrow();
    await fake.waitForRequests(1);
    expect(fake.received[0]).toMatchObject({ status: 0, serverAborted: true, clientAborted: false });
    // The server is fine afterwards.
    expect((await post('/v1/chat/completions', chat('a'))).status).toBe(200);
  });

  it('stalls mid-stream for stallMs after stallAfterChunks events', async () => {
    const res = await post('/v1/chat/completions', chat('[[fake:stallMs=300,stallAfterChunks=2,output=3]]', { stream: true }));
    const started = Date.now();
    const { text, times } = await readUntilCut(res);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(times.length).toBeGreaterThanOrEqual(2);
    expect(parseSse(text).at(-1)!.data).toBe('[DONE]');
  });

  it('stalls a non-streaming body halfway with stallMs', async () => {
    const started = Date.now();
    const body = (await (await post('/v1/chat/completions', chat('[[fake:stallMs=200]]'))).json()) as Json;
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(body.object).toBe('chat.completion');
  });

  it('cuts the stream after disconnectAfterChunks events, before any usage', async () => {
    const res = await post('/v1/chat/completions', chat('[[fake:disconnectAfterChunks=3,output=10]]', { stream: true, stream_options: { include_usage: true } }));
    expect(res.status).toBe(200);
    const { text, error } = await readUntilCut(res);
    expect(error).toBeDefined();
    const chunks = sseJson(text) as Json[];
    expect(chunks).toHaveLength(3);
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(text).not.toContain('[DONE]');
    const anthropicCut = await readUntilCut(await post('/v1/messages', anthropic('[[fake:disconnectAfterChunks=5,output=10]]', { stream: true }), ANTHROPIC));
    expect(anthropicCut.error).toBeDefined();
    expect(parseSse(anthropicCut.text).map((e) => e.event)).toEqual(['message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta']);
    const plain = await readUntilCut(await post('/v1/chat/completions', chat('[[fake:disconnectAfterChunks=1]]')));
    expect(plain.error).toBeDefined();
    expect(fake.received.every((r) => r.serverAborted && !r.clientAborted)).toBe(true);
  });

  it('sends the provider in-stream error event after errorAfterChunks', async () => {
    const ant = parseSse(await (await post('/v1/messages', anthropic('[[fake:errorAfterChunks=4]]', { stream: true }), ANTHROPIC)).text());
    expect(ant).toHaveLength(5);
    expect(ant[4]).toMatchObject({ event: 'error' });
    expect(JSON.parse(ant[4].data)).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
    const openai = sseJson(await (await post('/v1/chat/completions', chat('[[fake:errorAfterChunks=2]]', { stream: true }))).text()) as Json[];
    expect(openai.at(-1)!.error).toMatchObject({ type: 'server_error' });
    const responses = parseSse(await (await post('/v1/responses', { model: 'gpt-5', input: '[[fake:errorAfterChunks=3]]', stream: true })).text());
    expect(responses.at(-1)!.event).toBe('error');
    const gem = sseJson(await (await post(`${GEMINI_PATH}:streamGenerateContent?alt=sse`, gemini('[[fake:errorAfterChunks=1]]'), GEMINI)).text()) as Json[];
    expect(gem.at(-1)).toMatchObject({ error: { code: 500, status: 'INTERNAL' } });
    const array = JSON.parse(await (await post(`${GEMINI_PATH}:streamGenerateContent`, gemini('[[fake:errorAfterChunks=1]]'), GEMINI)).text()) as Json[];
    expect(array.at(-1)).toMatchObject({ error: { code: 500 } });
  });

  it('leaves usage out everywhere with omitUsage', async () => {
    fake.setBehavior({ omitUsage: true });
    expect((await (await post('/v1/chat/completions', chat('a'))).json()) as Json).not.toHaveProperty('usage');
    const chatStream = sseJson(await (await post('/v1/chat/completions', chat('a', { stream: true, stream_options: { include_usage: true } }))).text()) as Json[];
    expect(chatStream.some((c) => c.usage)).toBe(false);
    expect(((await (await post('/v1/responses', { model: 'gpt-5', input: 'a' })).json()) as Json).usage).toBeNull();
    expect((await (await post('/v1/embeddings', { model: 'text-embedding-3-small', input: 'a' })).json()) as Json).not.toHaveProperty('usage');
    expect((await (await post('/v1/messages', anthropic('a'), ANTHROPIC)).json()) as Json).not.toHaveProperty('usage');
    const antStream = sseJson(await (await post('/v1/messages', anthropic('a', { stream: true }), ANTHROPIC)).text()) as Json[];
    expect(antStream.some((e) => e.usage || e.message?.usage)).toBe(false);
    const gem = sseJson(await (await post(`${GEMINI_PATH}:streamGenerateContent?alt=sse`, gemini('a'), GEMINI)).text()) as Json[];
    expect(gem.some((c) => c.usageMetadata)).toBe(false);
  });

  it('spaces stream events by chunkDelayMs and groups tokensPerChunk tokens per delta', async () => {
    const started = Date.now();
    const text = await (await post('/v1/chat/completions', chat('[[fake:chunkDelayMs=40,output=6,tokensPerChunk=3]]', { stream: true }))).text();
    const deltas = (sseJson(text) as Json[]).map((c) => c.choices[0].delta.content).filter((c) => c);
    expect(deltas).toEqual(['tok tok tok ', 'tok tok tok ']);
    // 4 events (role, 2 deltas, finish) → 3 gaps.
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('rejects an unknown marker key with 400 rather than ignoring a typo', async () => {
    const res = await post('/v1/chat/completions', chat('[[fake:stauts=500]]'));
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error.message).toContain('unknown behavior key "stauts"');
  });

  it('parses behavior specs: numbers, bare booleans, usage shorthands, strings', () => {
    expect(parseBehaviorSpec('status=502; latencyMs=5 omitUsage,sseCrlf=false,input=3,output=0,errorMessage=no%20luck')).toEqual({
      status: 502,
      latencyMs: 5,
      omitUsage: true,
      sseCrlf: false,
      usage: { input: 3, output: 0 },
      errorMessage: 'no luck',
    });
    expect(() => parseBehaviorSpec('output=-1')).toThrow('non-negative integer');
    expect(() => parseBehaviorSpec('omitUsage=yes')).toThrow('true or false');
  });
});

describe('steering single calls', () => {
  it('applies enqueued behaviors to the next matching request only, in order', async () => {
    fake.enqueue({ status: 500 }, { route: 'anthropic.messages' });
    fake.enqueue({ usage: { output: 1 } });
    fake.enqueue({ usage: { output: 2 } }, (r) => r.agent === 'b');
    expect(fake.queued()).toBe(3);
    const first = (await (await post('/v1/chat/completions', chat('a'))).json()) as Json;
    expect(first.usage.completion_tokens).toBe(1);
    expect((await post('/v1/messages', anthropic('a'), ANTHROPIC)).status).toBe(500);
    expect(((await (await post('/v1/chat/completions', chat('a'))).json()) as Json).usage.completion_tokens).toBe(20);
    expect(((await (await post('/v1/chat/completions', chat('[[agent:b]]'))).json()) as Json).usage.completion_tokens).toBe(2);
    expect(fake.queued()).toBe(0);
  });

  it('layers defaults < queue < x-fake-behavior header < body markers (later markers win)', async () => {
    fake.setBehavior({ usage: { input: 1, output: 1, cachedInput: 9 } });
    fake.enqueue({ usage: { output: 2 } });
    const res = await post('/v1/chat/completions', chat('[[fake:output=4]] then [[fake:output=5]]'), { ...OPENAI, 'x-fake-behavior': 'output=3,input=7' });
    const body = (await res.json()) as Json;
    expect(body.usage).toMatchObject({ prompt_tokens: 16, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 9 } });
    expect(fake.received[0].usage).toEqual({ input: 7, output: 5, cachedInput: 9, cacheWrite: 0, cacheRead: 0, reasoning: 0 });
  });

  it('reads markers anywhere in the body: system prompts, content parts, Gemini parts', async () => {
    const res = await post('/v1/messages', anthropic('x', { system: [{ type: 'text', text: '[[fake:output=2]]' }] }), ANTHROPIC);
    expect(((await res.json()) as Json).usage.output_tokens).toBe(2);
    const g = await post(`${GEMINI_PATH}:generateContent`, { contents: [{ parts: [{ text: 'a' }, { text: '[[fake:output=1]]' }] }] }, GEMINI);
    expect(((await g.json()) as Json).usageMetadata.candidatesTokenCount).toBe(1);
  });

  it('reset() restores the initial behavior and clears the queue', async () => {
    const custom = await startFakeProvider({ behavior: { defaultOutputTokens: 5 } });
    try {
      custom.setBehavior({ status: 500 });
      custom.enqueue({ latencyMs: 1000 });
      custom.reset();
      expect(custom.queued()).toBe(0);
      const body = (await (await fetch(`${custom.url}/v1/chat/completions`, { method: 'POST', headers: OPENAI, body: JSON.stringify(chat('a')) })).json()) as Json;
      expect(body.usage.completion_tokens).toBe(5);
    } finally {
      await custom.close();
    }
  });
});

describe('recording', () => {
  it('records method, path, query, lower-cased headers, parsed body, time and agent tag', async () => {
    const before = Date.now();
    await post('/v1/chat/completions?trace=1', chat('hi [[agent:agent-7]]'), { Authorization: 'Bearer sk-x', 'X-Custom-Header': 'v' });
    await post('/v1/messages', anthropic('hi', { metadata: { agent: 'from-metadata' } }), ANTHROPIC);
    await post(`${GEMINI_PATH}:generateContent`, gemini('hi'), { ...GEMINI, 'x-fake-agent': 'from-header' });
    const [first, second, third] = fake.received;
    expect(first).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      query: 'trace=1',
      route: 'openai.chat',
      provider: 'openai',
      prefix: '/v1',
      model: 'gpt-4o-mini',
      stream: false,
      agent: 'agent-7',
      apiKey: 'sk-x',
      status: 200,
      body: chat('hi [[agent:agent-7]]'),
    });
    expect(first.headers['x-custom-header']).toBe('v');
    expect(first.headers.authorization).toBe('Bearer sk-x');
    expect(first.time).toBeGreaterThanOrEqual(before);
    expect(first.finishedAt).toBeGreaterThanOrEqual(first.time);
    expect(second.agent).toBe('from-metadata');
    expect(third.agent).toBe('from-header');
    expect(fake.requestCount).toBe(3);
    fake.reset();
    expect(fake.received).toHaveLength(0);
    expect(fake.requestCount).toBe(0);
  });

  it('notes a client that went away before the answer was complete', async () => {
    const controller = new AbortController();
    const pending = post('/v1/chat/completions', chat('[[fake:latencyMs=2000]]'), OPENAI, controller.signal);
    await fake.waitForRequests(1);
    controller.abort();
    await expect(pending).rejects.toThrow();
    for (let i = 0; i < 50 && fake.received[0].finishedAt === undefined; i++) await sleep(10);
    expect(fake.received[0]).toMatchObject({ clientAborted: true, serverAborted: false });
    expect(fake.inFlight()).toBe(0);

    const streamAbort = new AbortController();
    const res = await post('/v1/chat/completions', chat('[[fake:chunkDelayMs=50,output=50]]', { stream: true }), OPENAI, streamAbort.signal);
    const reader = res.body!.getReader();
    await reader.read();
    streamAbort.abort();
    for (let i = 0; i < 50 && fake.inFlight() > 0; i++) await sleep(10);
    expect(fake.received[1].clientAborted).toBe(true);
  });

  it('keeps only the most recent requests beyond recordLimit', async () => {
    const small = await startFakeProvider({ recordLimit: 2 });
    try {
      for (let i = 0; i < 150; i++) await fetch(`${small.url}/v1/embeddings`, { method: 'POST', headers: OPENAI, body: JSON.stringify({ model: 'e', input: String(i) }) });
      expect(small.requestCount).toBe(150);
      expect(small.received.length).toBeLessThanOrEqual(102);
      expect((small.received.at(-1)!.body as Json).input).toBe('149');
    } finally {
      await small.close();
    }
  });
});

describe('concurrency accounting', () => {
  it('measures peak concurrency overall and per agent tag', async () => {
    fake.setBehavior({ latencyMs: 200 });
    const calls = [
      ...Array.from({ length: 5 }, () => post('/v1/chat/completions', chat('[[agent:a]]'))),
      ...Array.from({ length: 2 }, () => post('/v1/messages', anthropic('x', { metadata: { agent: 'b' } }), ANTHROPIC)),
    ];
    await fake.waitForRequests(7);
    expect(fake.inFlight()).toBe(7);
    expect(fake.inFlight('a')).toBe(5);
    await Promise.all(calls.map(async (c) => (await c).text()));
    expect(fake.peakConcurrency()).toBe(7);
    expect(fake.peakConcurrency('a')).toBe(5);
    expect(fake.peakConcurrency('b')).toBe(2);
    expect(fake.peakConcurrency('nobody')).toBe(0);
    expect(fake.inFlight()).toBe(0);
  });

  it('counts a stream as in flight until its last event', async () => {
    const res = await post('/v1/chat/completions', chat('[[agent:s]][[fake:chunkDelayMs=30,output=5]]', { stream: true }));
    expect(fake.inFlight('s')).toBe(1);
    await res.text();
    for (let i = 0; i < 20 && fake.inFlight('s') > 0; i++) await sleep(5);
    expect(fake.inFlight('s')).toBe(0);
    await post('/v1/chat/completions', chat('[[agent:s]]'));
    expect(fake.peakConcurrency('s')).toBe(1);
  });
});

describe('control routes and the fast path', () => {
  it('exposes health, stats, behavior, enqueue, received and reset over HTTP', async () => {
    expect(await (await fetch(`${fake.url}/_fake/health`)).json()).toEqual({ ok: true });
    await fetch(`${fake.url}/_fake/behavior`, { method: 'POST', body: JSON.stringify({ usage: { output: 2 } }) });
    await fetch(`${fake.url}/_fake/enqueue`, { method: 'POST', body: JSON.stringify({ behavior: { status: 503 }, match: { route: 'openai.embeddings' } }) });
    expect((await post('/v1/chat/completions', chat('[[agent:z]]'))).status).toBe(200);
    expect((await post('/v1/embeddings', { model: 'e', input: 'a' })).status).toBe(503);
    const stats = (await (await fetch(`${fake.url}/_fake/stats`)).json()) as Json;
    expect(stats).toMatchObject({ requests: 2, inFlight: 0, peakConcurrency: 1, queued: 0, tags: { z: { inFlight: 0, peakConcurrency: 1 } } });
    const received = (await (await fetch(`${fake.url}/_fake/received?last=1`)).json()) as Json[];
    expect(received).toHaveLength(1);
    expect(received[0].route).toBe('openai.embeddings');
    await fetch(`${fake.url}/_fake/reset`, { method: 'POST' });
    expect(fake.requestCount).toBe(0);
    expect(fake.behavior.usage).toEqual({});
  });

  it('keeps connections alive and answers many calls quickly', async () => {
    const res = await post('/v1/chat/completions', chat('a'));
    expect(res.headers.get('connection')).toBe('keep-alive');
    await res.text();
    const started = Date.now();
    const total = 2000;
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < total) {
          next++;
          const r = await post('/v1/chat/completions', chat('hello'));
          await r.arrayBuffer();
        }
      }),
    );
    expect(fake.requestCount).toBe(total + 1);
    // Generous: on a 2-core machine this takes well under a second; fetch is the slow side.
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
