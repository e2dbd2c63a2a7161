// Streams in OpenAI's formats (OpenAI itself and xAI's Grok): usage and streamed-output counts
// for Chat Completions and Responses, and the Chat Completions usage option the proxy adds.
//
// Chat Completions: with `stream_options.include_usage` the provider ends the stream with one
// extra chunk, `choices: []` and the whole request's `usage`, before `data: [DONE]`; every other
// chunk then carries `"usage": null`. xAI has also been seen to put the usage on the chunk with
// the finish reason and send the empty-choices chunk after it; any non-null `usage` is read, and
// the last one wins (they are cumulative).
//
// Responses: semantic events, `{"type": "response.output_text.delta", "delta": "…"}` and so on.
// The stream ends with `response.completed`, `response.incomplete` or `response.failed`, whose
// `response` carries `usage` and the `output[]` items (hosted web / file search calls).

import { parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import { openAiChatUsage, openAiResponsesUsage, type OpenAiFormatProvider } from './openai.usage';
import type { SseEvent } from './sse';
import { replaceSseData } from './sse-rewrite';
import { asArray, asObject, StreamTrackerBase, type Json, type StreamEstimateAllowances } from './stream-usage';

// ---------------------------------------------------------------------------------------------
// Chat Completions

export class OpenAiChatStreamTracker extends StreamTrackerBase {
  private readonly choicesSeen = new Set<number>();
  private readonly toolCallsSeen = new Set<string>();

  constructor(
    private readonly provider: OpenAiFormatProvider = 'openai',
    allowances?: StreamEstimateAllowances,
  ) {
    super(allowances);
  }

  protected handle(chunk: Json): void {
    asArray(chunk.choices).forEach((entry, position) => {
      const choice = asObject(entry);
      if (!choice) return;
      const index = typeof choice.index === 'number' ? choice.index : position;
      if (!this.choicesSeen.has(index)) {
        this.choicesSeen.add(index);
        this.block();
      }
      const delta = asObject(choice.delta);
      if (delta) this.chatDelta(index, delta);
    });
    // Content first, then usage: a usage on the same chunk covers that chunk's content.
    const usage = openAiChatUsage(chunk, this.provider);
    if (usage) this.report(usage, true);
  }

  private chatDelta(choice: number, delta: Json): void {
    let carried = false;
    // `reasoning_content`: xAI (and others) stream the model's reasoning in full here.
    for (const key of ['content', 'refusal', 'reasoning_content', 'reasoning']) {
      const value = delta[key];
      if (typeof value === 'string' && value.length > 0) {
        this.text(value);
        carried = true;
      }
    }
    asArray(delta.tool_calls).forEach((entry, position) => {
      const call = asObject(entry);
      if (!call) return;
      const key = `${choice}:${typeof call.index === 'number' ? call.index : position}`;
      if (!this.toolCallsSeen.has(key)) {
        this.toolCallsSeen.add(key);
        this.toolCall();
      }
      const fn = asObject(call.function);
      const custom = asObject(call.custom);
      this.text(fn?.name);
      this.text(fn?.arguments);
      this.text(custom?.name);
      this.text(custom?.input);
      carried = true;
    });
    const legacyCall = asObject(delta.function_call);
    if (legacyCall) {
      const key = `${choice}:function_call`;
      if (!this.toolCallsSeen.has(key)) {
        this.toolCallsSeen.add(key);
        this.toolCall();
      }
      this.text(legacyCall.name);
      this.text(legacyCall.arguments);
      carried = true;
    }
    const audio = asObject(delta.audio);
    if (audio) {
      this.text(audio.transcript);
      this.base64(audio.data);
      carried = true;
    }
    if (carried) this.delta();
  }
}

// ---------------------------------------------------------------------------------------------
// Responses

const TERMINAL_RESPONSE_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);

export class OpenAiResponsesStreamTracker extends StreamTrackerBase {
  /** Bytes counted per output item, so a `.done` item can add what no delta carried. */
  private readonly bytesByItem = new Map<string, number>();
  private readonly itemsSeen = new Set<string>();
  private readonly hostedCallsSeen = new Set<string>();

  constructor(
    private readonly provider: OpenAiFormatProvider = 'openai',
    allowances?: StreamEstimateAllowances,
  ) {
    super(allowances);
  }

  protected handle(event: Json, eventName: string | undefined): void {
    const type = typeof event.type === 'string' ? event.type : (eventName ?? '');
    if (TERMINAL_RESPONSE_EVENTS.has(type)) {
      const usage = openAiResponsesUsage(event.response, this.provider);
      if (usage) this.report(usage, true);
      return;
    }
    if (type === 'response.output_item.added' || type === 'response.output_item.done') {
      this.outputItem(event);
      return;
    }
    if (type.endsWith('.delta') && typeof event.delta === 'string') {
      const key = itemKey(event.item_id, event.output_index);
      if (type === 'response.audio.delta') this.base64(event.delta);
      else this.itemText(key, event.delta);
      this.delta();
    }
  }

  private outputItem(event: Json): void {
    const item = asObject(event.item);
    if (!item) return;
    const key = itemKey(item.id, event.output_index);
    const type = typeof item.type === 'string' ? item.type : '';
    if (!this.itemsSeen.has(key)) {
      this.itemsSeen.add(key);
      this.block();
      if (type.endsWith('_call')) this.toolCall();
    }
    // Reasoning items stream at most a summary; the reasoning tokens themselves are not shown.
    if (type === 'reasoning') this.hiddenReasoningSeen = true;
    if ((type === 'web_search_call' || type === 'file_search_call') && !this.hostedCallsSeen.has(key)) {
      this.hostedCallsSeen.add(key);
      if (type === 'web_search_call') this.observedCalls.webSearchCalls += 1;
      else this.observedCalls.fileSearchCalls += 1;
    }
    if (type === 'web_search_call' || type === 'file_search_call' || type === 'mcp_call') this.serverToolRan = true;
    // Whatever the item holds beyond what its deltas carried (the function name; an item that
    // arrives whole, without deltas).
    const total = generatedTextBytes(item);
    const counted = this.bytesByItem.get(key) ?? 0;
    if (total > counted) {
      this.bytesByItem.set(key, total);
      this.textBytes(total - counted);
    }
  }

  private itemText(key: string, text: string): void {
    this.bytesByItem.set(key, (this.bytesByItem.get(key) ?? 0) + Buffer.byteLength(text, 'utf8'));
    this.text(text);
  }
}

function itemKey(id: unknown, outputIndex: unknown): string {
  if (typeof id === 'string' && id.length > 0) return id;
  return `#${typeof outputIndex === 'number' ? outputIndex : '?'}`;
}

// Model-written strings inside a Responses output item. Tool results, annotations, ids and
// encrypted reasoning are not output the model wrote, so they are not walked.
const GENERATED_STRING_KEYS = new Set(['text', 'refusal', 'arguments', 'input', 'code', 'transcript', 'name', 'query', 'queries', 'pattern']);
const SKIPPED_KEYS = new Set(['encrypted_content', 'output', 'outputs', 'results', 'annotations', 'logprobs', 'error', 'sources']);

function generatedTextBytes(value: unknown, key = '', depth = 0): number {
  if (depth > 8) return 0;
  if (typeof value === 'string') return GENERATED_STRING_KEYS.has(key) ? Buffer.byteLength(value, 'utf8') : 0;
  if (Array.isArray(value)) return value.reduce<number>((sum, entry) => sum + generatedTextBytes(entry, key, depth + 1), 0);
  const obj = asObject(value);
  if (!obj) return 0;
  let sum = 0;
  for (const [k, v] of Object.entries(obj)) if (!SKIPPED_KEYS.has(k)) sum += generatedTextBytes(v, k, depth + 1);
  return sum;
}

// ---------------------------------------------------------------------------------------------
// The streaming-usage option and hiding its chunk

export interface PreparedOpenAiStreamRequest {
  /** The body to send upstream: the client's, with `stream_options.include_usage: true`. */
  body: Json;
  /** Whether the client itself asked for the usage chunk (then it is relayed). */
  clientAskedForUsage: boolean;
}

/**
 * For a streamed Chat Completions request, asks the provider for the usage chunk. The client's
 * body is not modified: a copy gets `stream_options.include_usage = true`, keeping every other
 * key, value and the key order (`stream_options` is added last when absent; its other options
 * are kept). A body that does not stream (`stream` is not `true`) is returned as it is, since
 * the providers refuse `stream_options` without streaming.
 */
export function prepareOpenAiStreamRequest(body: Json): PreparedOpenAiStreamRequest {
  const options = asObject(body.stream_options);
  const clientAskedForUsage = options?.include_usage === true;
  if (body.stream !== true || clientAskedForUsage) return { body, clientAskedForUsage };
  return { body: { ...body, stream_options: { ...(options ?? {}), include_usage: true } }, clientAskedForUsage };
}

/**
 * What to relay of each upstream Chat Completions event: its bytes, or null to drop it.
 *
 * When the client asked for usage itself, everything is relayed unchanged. Otherwise:
 * - the usage chunk (non-null `usage`, no choices) is dropped;
 * - a chunk with choices and a non-null `usage` (xAI's placement) is relayed with `usage: null`,
 *   re-serialised with lossless-json so numbers and key order stay as they were;
 * - every other event is relayed byte for byte, including the `"usage": null` that chunks carry
 *   once usage is requested. We leave it rather than re-serialise every chunk: `null` means "no
 *   usage here" to every OpenAI SDK, which types the field as optional and nullable.
 */
const USAGE_OBJECT = /"usage"\s*:\s*\{/;

export function openAiChatRelayFilter(clientAskedForUsage: boolean): (event: SseEvent) => Buffer | null {
  if (clientAskedForUsage) return (event) => event.raw;
  return (event) => {
    // Only a chunk that carries a usage object needs a parse: `"usage": null` (on every chunk once
    // usage is asked for) or no `"usage"` at all is relayed as it is. A match inside a string
    // value only costs the parse below, which decides.
    if (!event.hasData || !USAGE_OBJECT.test(event.data)) return event.raw;
    let chunk: Json | undefined;
    try {
      chunk = asObject(JSON.parse(event.data));
    } catch {
      return event.raw;
    }
    if (!chunk || !asObject(chunk.usage)) return event.raw;
    if (asArray(chunk.choices).length === 0) return null;
    return withoutUsage(event) ?? event.raw;
  };
}

function withoutUsage(event: SseEvent): Buffer | undefined {
  try {
    const chunk = asObject(parseLossless(event.data));
    if (!chunk) return undefined;
    chunk.usage = null;
    const data = stringifyLossless(chunk);
    return data === undefined ? undefined : replaceSseData(event, data);
  } catch {
    return undefined;
  }
}
