// Anthropic's Messages wire format: the `message` object, its SSE event sequence, and errors.
// input_tokens excludes cache writes and reads, which are reported beside it; thinking tokens are
// inside output_tokens.

import { namedFrame, textPieces, tokenText, type Json, type Reply, type StreamPlan } from './wire-common';

function usageOf(r: Reply, outputTokens: number): Json {
  const u = r.usage;
  const usage: Json = {
    input_tokens: u.input,
    cache_creation_input_tokens: u.cacheWrite,
    cache_read_input_tokens: u.cacheRead,
    cache_creation: { ephemeral_5m_input_tokens: u.cacheWrite, ephemeral_1h_input_tokens: 0 },
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
  if (r.webSearchCalls > 0) usage.server_tool_use = { web_search_requests: r.webSearchCalls };
  return usage;
}

const stopReason = (r: Reply) => (r.capped ? 'max_tokens' : 'end_turn');

function thinkingBlock(r: Reply): Json {
  return { type: 'thinking', thinking: tokenText(r.usage.reasoning), signature: `fake-signature-${r.seq}` };
}

export function anthropicMessage(r: Reply): Json {
  const content: Json[] = [];
  if (r.usage.reasoning > 0) content.push(thinkingBlock(r));
  content.push({ type: 'text', text: tokenText(r.usage.output) });
  const body: Json = {
    id: `msg_fake${r.seq}`,
    type: 'message',
    role: 'assistant',
    model: r.model,
    content,
    stop_reason: stopReason(r),
    stop_sequence: null,
  };
  if (!r.omitUsage) body.usage = usageOf(r, r.usage.output + r.usage.reasoning);
  return body;
}

/**
 * message_start (input usage), [thinking block], content_block_start, ping, content_block_delta…,
 * content_block_stop, message_delta (output usage), message_stop.
 */
export function anthropicStream(r: Reply): StreamPlan {
  const frames: string[] = [];
  const emit = (type: string, fields: Json) => frames.push(namedFrame(type, JSON.stringify({ type, ...fields }), r.eventEnd));
  const totalOutput = r.usage.output + r.usage.reasoning;
  const message: Json = {
    id: `msg_fake${r.seq}`,
    type: 'message',
    role: 'assistant',
    model: r.model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
  };
  // The real message_start reports a token or so of output; never more than the final count,
  // so that a test asserting an exact total of 0 output tokens still can.
  if (!r.omitUsage) message.usage = usageOf(r, Math.min(1, totalOutput));
  emit('message_start', { message });
  let index = 0;
  let firstDelta = -1;
  if (r.usage.reasoning > 0) {
    emit('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } });
    firstDelta = frames.length;
    for (const thinking of textPieces(r.usage.reasoning, r.tokensPerChunk)) emit('content_block_delta', { index, delta: { type: 'thinking_delta', thinking } });
    emit('content_block_delta', { index, delta: { type: 'signature_delta', signature: `fake-signature-${r.seq}` } });
    emit('content_block_stop', { index });
    index++;
  }
  emit('content_block_start', { index, content_block: { type: 'text', text: '' } });
  if (index === 0) emit('ping', {});
  if (firstDelta < 0) firstDelta = frames.length;
  for (const text of textPieces(r.usage.output, r.tokensPerChunk)) emit('content_block_delta', { index, delta: { type: 'text_delta', text } });
  emit('content_block_stop', { index });
  const delta: Json = { delta: { stop_reason: stopReason(r), stop_sequence: null } };
  if (!r.omitUsage) {
    const usage: Json = { output_tokens: totalOutput };
    if (r.webSearchCalls > 0) usage.server_tool_use = { web_search_requests: r.webSearchCalls };
    delta.usage = usage;
  }
  emit('message_delta', delta);
  emit('message_stop', {});
  return {
    frames,
    firstDelta: Math.min(firstDelta, frames.length - 1),
    trailer: '',
    errorFrame: () => namedFrame('error', JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }), r.eventEnd),
  };
}

const ANTHROPIC_ERRORS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/** `{"type":"error","error":{"type","message"},"request_id"}`. */
export function anthropicError(status: number, message: string, type: string | undefined, requestId: string): string {
  const errorType = type ?? ANTHROPIC_ERRORS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  return JSON.stringify({ type: 'error', error: { type: errorType, message }, request_id: requestId });
}
