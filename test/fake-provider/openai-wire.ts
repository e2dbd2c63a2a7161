// OpenAI's wire formats (spoken by xAI too): Chat Completions, Responses and Embeddings answers,
// their SSE streams, and error bodies.

import { asObject, dataFrame, namedFrame, textPieces, tokenText, type Json, type Reply, type StreamPlan } from './wire-common';

// ---------------------------------------------------------------- Chat Completions

function chatUsage(r: Reply): Json {
  const u = r.usage;
  const prompt = u.input + u.cachedInput;
  const completion = r.reasoningInCompletion ? u.output + u.reasoning : u.output;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: r.reasoningInCompletion ? prompt + completion : prompt + completion + u.reasoning,
    prompt_tokens_details: { cached_tokens: u.cachedInput, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: u.reasoning, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

export function chatCompletion(r: Reply): Json {
  const body: Json = {
    id: `chatcmpl-fake${r.seq}`,
    object: 'chat.completion',
    created: r.created,
    model: r.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: tokenText(r.usage.output), refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: r.capped ? 'length' : 'stop',
      },
    ],
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  };
  if (!r.omitUsage) body.usage = chatUsage(r);
  return body;
}

/** `data: {chunk}` events, the usage chunk (empty choices) only with stream_options.include_usage, then `[DONE]`. */
export function chatStream(r: Reply): StreamPlan {
  const includeUsage = asObject(r.request.stream_options)?.include_usage === true;
  const id = `chatcmpl-fake${r.seq}`;
  const head = `{"id":"${id}","object":"chat.completion.chunk","created":${r.created},"model":${JSON.stringify(r.model)},"service_tier":"default","system_fingerprint":"fp_fake","choices":`;
  const tail = includeUsage ? ',"usage":null}' : '}';
  const choice = (delta: Json, finish: string | null) =>
    `[{"index":0,"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${finish === null ? 'null' : `"${finish}"`}}]`;
  const frames = [dataFrame(head + choice({ role: 'assistant', content: '', refusal: null }, null) + tail, r.eventEnd)];
  for (const piece of textPieces(r.usage.output, r.tokensPerChunk)) frames.push(dataFrame(head + choice({ content: piece }, null) + tail, r.eventEnd));
  frames.push(dataFrame(head + choice({}, r.capped ? 'length' : 'stop') + tail, r.eventEnd));
  if (includeUsage && !r.omitUsage) frames.push(dataFrame(`${head}[],"usage":${JSON.stringify(chatUsage(r))}}`, r.eventEnd));
  return {
    frames,
    firstDelta: Math.min(1, frames.length - 1),
    trailer: `data: [DONE]${r.eventEnd}`,
    errorFrame: () =>
      dataFrame(JSON.stringify({ error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } }), r.eventEnd),
  };
}

// ---------------------------------------------------------------- Responses

function responsesUsage(r: Reply): Json {
  const u = r.usage;
  const input = u.input + u.cachedInput;
  const output = r.reasoningInCompletion ? u.output + u.reasoning : u.output;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u.cachedInput },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: r.reasoningInCompletion ? input + output : input + output + u.reasoning,
  };
}

function webSearchItem(r: Reply, i: number, status: string): Json {
  return { type: 'web_search_call', id: `ws_fake${r.seq}_${i}`, status, action: { type: 'search', query: `fake query ${i + 1}` } };
}

function messageItem(r: Reply, status: string, text: string | undefined): Json {
  return {
    type: 'message',
    id: `msg_fake${r.seq}`,
    status,
    role: 'assistant',
    content: text === undefined ? [] : [{ type: 'output_text', text, annotations: [], logprobs: [] }],
  };
}

function reasoningItem(r: Reply): Json {
  return { type: 'reasoning', id: `rs_fake${r.seq}`, summary: [] };
}

function responseObject(r: Reply, status: 'in_progress' | 'completed' | 'incomplete', output: Json[]): Json {
  const req = r.request;
  return {
    id: `resp_fake${r.seq}`,
    object: 'response',
    created_at: r.created,
    status,
    background: false,
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    model: r.model,
    output,
    parallel_tool_calls: true,
    previous_response_id: req.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    service_tier: 'default',
    store: req.store ?? true,
    temperature: req.temperature ?? 1,
    text: { format: { type: 'text' } },
    tool_choice: req.tool_choice ?? 'auto',
    tools: req.tools ?? [],
    top_p: req.top_p ?? 1,
    truncation: 'disabled',
    usage: status === 'in_progress' || r.omitUsage ? null : responsesUsage(r),
    user: req.user ?? null,
    metadata: req.metadata ?? {},
  };
}

function finalStatus(r: Reply): 'completed' | 'incomplete' {
  // The real API ends a response cut off by max_output_tokens as "incomplete" (event
  // `response.incomplete`), still with usage.
  return r.capped ? 'incomplete' : 'completed';
}

function finalOutput(r: Reply): Json[] {
  const output: Json[] = [];
  for (let i = 0; i < r.webSearchCalls; i++) output.push(webSearchItem(r, i, 'completed'));
  if (r.usage.reasoning > 0) output.push(reasoningItem(r));
  output.push(messageItem(r, finalStatus(r) === 'completed' ? 'completed' : 'incomplete', tokenText(r.usage.output)));
  return output;
}

export function responsesAnswer(r: Reply): Json {
  return responseObject(r, finalStatus(r), finalOutput(r));
}

/** Typed events, each with a sequence_number: created … output_text.delta … completed (or incomplete). */
export function responsesStream(r: Reply): StreamPlan {
  const frames: string[] = [];
  let seq = 0;
  const emit = (type: string, fields: Json) => frames.push(namedFrame(type, JSON.stringify({ type, sequence_number: seq++, ...fields }), r.eventEnd));
  emit('response.created', { response: responseObject(r, 'in_progress', []) });
  emit('response.in_progress', { response: responseObject(r, 'in_progress', []) });
  let index = 0;
  for (let i = 0; i < r.webSearchCalls; i++, index++) {
    const itemId = `ws_fake${r.seq}_${i}`;
    emit('response.output_item.added', { output_index: index, item: webSearchItem(r, i, 'in_progress') });
    emit('response.web_search_call.in_progress', { output_index: index, item_id: itemId });
    emit('response.web_search_call.searching', { output_index: index, item_id: itemId });
    emit('response.web_search_call.completed', { output_index: index, item_id: itemId });
    emit('response.output_item.done', { output_index: index, item: webSearchItem(r, i, 'completed') });
  }
  if (r.usage.reasoning > 0) {
    emit('response.output_item.added', { output_index: index, item: reasoningItem(r) });
    emit('response.output_item.done', { output_index: index, item: reasoningItem(r) });
    index++;
  }
  const itemId = `msg_fake${r.seq}`;
  const text = tokenText(r.usage.output);
  emit('response.output_item.added', { output_index: index, item: messageItem(r, 'in_progress', undefined) });
  emit('response.content_part.added', { item_id: itemId, output_index: index, content_index: 0, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } });
  const firstDelta = frames.length;
  for (const delta of textPieces(r.usage.output, r.tokensPerChunk)) {
    emit('response.output_text.delta', { item_id: itemId, output_index: index, content_index: 0, delta, logprobs: [] });
  }
  emit('response.output_text.done', { item_id: itemId, output_index: index, content_index: 0, text, logprobs: [] });
  emit('response.content_part.done', { item_id: itemId, output_index: index, content_index: 0, part: { type: 'output_text', text, annotations: [], logprobs: [] } });
  const status = finalStatus(r);
  emit('response.output_item.done', { output_index: index, item: messageItem(r, status === 'completed' ? 'completed' : 'incomplete', text) });
  emit(`response.${status}`, { response: responseObject(r, status, finalOutput(r)) });
  return {
    frames,
    firstDelta: Math.min(firstDelta, frames.length - 1),
    trailer: '',
    errorFrame: (sequence) =>
      namedFrame('error', JSON.stringify({ type: 'error', sequence_number: sequence, code: 'server_error', message: 'The server had an error while processing your request.', param: null }), r.eventEnd),
  };
}

// ---------------------------------------------------------------- Embeddings

const vectorCache = new Map<number, { floats: number[]; base64: string }>();
function vector(dimensions: number): { floats: number[]; base64: string } {
  let v = vectorCache.get(dimensions);
  if (!v) {
    const floats = Array.from({ length: dimensions }, (_, i) => Math.round(Math.sin(i + 1) * 1e6) / 1e6);
    v = { floats, base64: Buffer.from(new Float32Array(floats).buffer).toString('base64') };
    vectorCache.set(dimensions, v);
  }
  return v;
}

/** How many inputs an embeddings request carries (string, string[], token array, token arrays). */
export function embeddingInputs(input: unknown): unknown[] {
  if (Array.isArray(input) && input.length > 0 && typeof input[0] !== 'number') return input;
  return [input];
}

export function embeddingsAnswer(r: Reply): Json {
  const req = r.request;
  const dims = typeof req.dimensions === 'number' && req.dimensions > 0 && req.dimensions <= 4096 ? req.dimensions : 8;
  const v = vector(dims);
  const base64 = req.encoding_format === 'base64';
  const data = embeddingInputs(req.input).map((_, index) => ({ object: 'embedding', index, embedding: base64 ? v.base64 : v.floats }));
  const body: Json = { object: 'list', data, model: r.model };
  const tokens = r.usage.input + r.usage.cachedInput;
  if (!r.omitUsage) body.usage = { prompt_tokens: tokens, total_tokens: tokens };
  return body;
}

// ---------------------------------------------------------------- Errors

const OPENAI_ERRORS: Record<number, [type: string, code: string | null]> = {
  400: ['invalid_request_error', null],
  401: ['invalid_request_error', 'invalid_api_key'],
  403: ['invalid_request_error', 'unsupported_country_region_territory'],
  404: ['invalid_request_error', 'model_not_found'],
  409: ['invalid_request_error', null],
  413: ['invalid_request_error', null],
  422: ['invalid_request_error', null],
  429: ['requests', 'rate_limit_exceeded'],
};

/** `{"error":{"message","type","param","code"}}`. */
export function openAiError(status: number, message: string, type?: string): string {
  const [defaultType, code] = OPENAI_ERRORS[status] ?? (status >= 500 ? ['server_error', null] : ['invalid_request_error', null]);
  return JSON.stringify({ error: { message, type: type ?? defaultType, param: null, code: type ?? code } });
}

/** xAI answers errors as `{"code","error"}` rather than OpenAI's nested object. */
export function xaiError(status: number, message: string, type?: string): string {
  const code =
    type ??
    (status === 401 ? 'Unauthenticated' : status === 404 ? 'Some requested entity was not found' : status === 429 ? 'Resource exhausted' : status >= 500 ? 'Internal error' : 'Client specified an invalid argument');
  return JSON.stringify({ code, error: message });
}
