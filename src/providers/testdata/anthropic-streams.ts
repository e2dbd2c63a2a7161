// Anthropic Messages streams as the API sends them (event flow from Anthropic's streaming
// documentation: message_start, content blocks with their deltas, ping, message_delta with
// cumulative usage, message_stop).

import { sse, type WireEvent } from './streams';

const ev = (data: { type: string } & Record<string, unknown>): WireEvent => ({ event: data.type, data });

const message = (usage: object) => ({
  id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
  type: 'message',
  role: 'assistant',
  content: [],
  model: 'claude-opus-4-6',
  stop_reason: null,
  stop_sequence: null,
  usage,
});

export const TEXT_PIECES = ['Hello', '! I can help with that', ' — here’s a quick summary.'];

/** A text answer, with prompt caching: input and cache figures come in message_start only. */
export function textStream(): string {
  return sse([
    ev({ type: 'message_start', message: message({ input_tokens: 25, cache_creation_input_tokens: 1500, cache_read_input_tokens: 12000, cache_creation: { ephemeral_5m_input_tokens: 1500, ephemeral_1h_input_tokens: 0 }, output_tokens: 1, service_tier: 'standard' }) }),
    ev({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    ev({ type: 'ping' }),
    ...TEXT_PIECES.map((text) => ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })),
    ev({ type: 'content_block_stop', index: 0 }),
    ev({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 15 } }),
    ev({ type: 'message_stop' }),
  ]);
}

export const TOOL_JSON_PIECES = ['', '{"location": "San Fra', 'ncisco, CA", "unit": "fah', 'renheit"}'];

/** Text, then a tool_use block whose input streams as partial JSON. */
export function toolUseStream(): string {
  return sse([
    ev({ type: 'message_start', message: message({ input_tokens: 472, output_tokens: 2 }) }),
    ev({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Okay, let me check the weather.' } }),
    ev({ type: 'content_block_stop', index: 0 }),
    ev({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', input: {} } }),
    ...TOOL_JSON_PIECES.map((partial_json) => ev({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json } })),
    ev({ type: 'content_block_stop', index: 1 }),
    ev({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 89 } }),
    ev({ type: 'message_stop' }),
  ]);
}

export const THINKING_PIECES = ['I need to find the GCD of 1071 and 462 using the Euclidean algorithm.', '\n\n1071 = 2 × 462 + 147'];

/** Extended thinking: a thinking block (deltas, then its signature), then the answer. */
export function thinkingStream(): string {
  return sse([
    ev({ type: 'message_start', message: message({ input_tokens: 85, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 }) }),
    ev({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }),
    ...THINKING_PIECES.map((thinking) => ev({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking } })),
    ev({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds' } }),
    ev({ type: 'content_block_stop', index: 0 }),
    ev({ type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }),
    ev({ type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'The greatest common divisor of 1071 and 462 is **21**.' } }),
    ev({ type: 'content_block_stop', index: 1 }),
    ev({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 1024 } }),
    ev({ type: 'message_stop' }),
  ]);
}

/** Server-side web search: the final message_delta repeats input figures that grew, and counts the searches. */
export function webSearchStream(): string {
  return sse([
    ev({ type: 'message_start', message: message({ input_tokens: 2679, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 3 }) }),
    ev({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'I’ll search for the weather.' } }),
    ev({ type: 'content_block_stop', index: 0 }),
    ev({ type: 'content_block_start', index: 1, content_block: { id: 'srvtoolu_014hJH82Qum7Td6UV8gDXThB', type: 'server_tool_use', name: 'web_search', input: {} } }),
    ev({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"query": "weather NYC today"}' } }),
    ev({ type: 'content_block_stop', index: 1 }),
    ev({
      type: 'content_block_start',
      index: 2,
      content_block: { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_014hJH82Qum7Td6UV8gDXThB', content: [{ type: 'web_search_result', title: 'Weather in New York City', url: 'https://weather.example/nyc', encrypted_content: 'Ev0DCioIAxgCIiQ3NmU4ZmI4OC1k', page_age: null }] },
    }),
    ev({ type: 'content_block_stop', index: 2 }),
    ev({ type: 'content_block_start', index: 3, content_block: { type: 'text', text: '' } }),
    ev({ type: 'content_block_delta', index: 3, delta: { type: 'text_delta', text: 'It is 72°F and sunny.' } }),
    ev({ type: 'content_block_stop', index: 3 }),
    ev({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { input_tokens: 10682, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 510, server_tool_use: { web_search_requests: 1 } } }),
    ev({ type: 'message_stop' }),
  ]);
}

export function overloadedMidStream(): string {
  return sse([
    ev({ type: 'message_start', message: message({ input_tokens: 40, output_tokens: 1 }) }),
    ev({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Once upon a time' } }),
    ev({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }),
  ]);
}
