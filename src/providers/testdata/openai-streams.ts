// OpenAI-format streams as the providers send them (shapes from OpenAI's API reference for chat
// completion chunks and Responses streaming events; xAI's placement of usage as reported by
// users). Texts are chosen so the tests can count their real tokens.

import { sse, type WireEvent } from './streams';

const chunkBase = {
  id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
  object: 'chat.completion.chunk',
  created: 1741569952,
  model: 'gpt-4o-mini-2024-07-18',
  service_tier: 'default',
  system_fingerprint: 'fp_06737a9306',
};

export const CHAT_TEXT_PIECES = ['Hello', '!', ' How', ' can', ' I', ' assist', ' you', ' today', '?'];

export const CHAT_USAGE = {
  prompt_tokens: 19,
  completion_tokens: 10,
  total_tokens: 29,
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
};

/** A chat stream; with include_usage every chunk has `"usage":null` and a usage chunk ends it. */
export function chatStream(includeUsage: boolean): string {
  const usageNull = includeUsage ? { usage: null } : {};
  const events: WireEvent[] = [
    { data: { ...chunkBase, choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }], ...usageNull } },
    ...CHAT_TEXT_PIECES.map((content) => ({ data: { ...chunkBase, choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }], ...usageNull } })),
    { data: { ...chunkBase, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], ...usageNull } },
  ];
  if (includeUsage) events.push({ data: { ...chunkBase, choices: [], usage: CHAT_USAGE } });
  events.push({ data: '[DONE]' });
  return sse(events);
}

/** A streamed tool call: id and name first, then the arguments in pieces. */
export const TOOL_ARGUMENT_PIECES = ['{"', 'location', '":"', 'Paris', ', France', '","unit":"celsius"}'];

export function chatToolCallStream(): string {
  const chunk = (delta: object, finish: string | null = null) => ({
    data: { ...chunkBase, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null },
  });
  return sse([
    chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA', type: 'function', function: { name: 'get_weather', arguments: '' } }], refusal: null }),
    ...TOOL_ARGUMENT_PIECES.map((args) => chunk({ tool_calls: [{ index: 0, function: { arguments: args } }] })),
    chunk({}, 'tool_calls'),
    { data: { ...chunkBase, choices: [], usage: { prompt_tokens: 81, completion_tokens: 17, total_tokens: 98, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } } } },
    { data: '[DONE]' },
  ]);
}

const grokBase = { id: '923d4779-8674-4a1e-a509-b9ecc58263a9', object: 'chat.completion.chunk', created: 1764152777, model: 'grok-3-mini', system_fingerprint: 'fp_5d1e3e4c3b' };

/**
 * xAI's placement: reasoning streamed in `reasoning_content`, the usage on the chunk with the
 * finish reason (reasoning counted outside completion_tokens for grok-3-mini), then a trailing
 * chunk with empty choices.
 */
export function grokStream(): string {
  return sse([
    { data: { ...grokBase, choices: [{ index: 0, delta: { role: 'assistant', reasoning_content: 'The user greets me.' } }] } },
    { data: { ...grokBase, choices: [{ index: 0, delta: { reasoning_content: ' Reply politely.' } }] } },
    { data: { ...grokBase, choices: [{ index: 0, delta: { content: 'Hi there' } }] } },
    { data: { ...grokBase, choices: [{ index: 0, delta: { content: '! 😊' } }] } },
    {
      data: {
        ...grokBase,
        choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
        usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 26, prompt_tokens_details: { text_tokens: 12, cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 10 }, num_sources_used: 0 },
      },
    },
    { data: { ...grokBase, choices: [] } },
    { data: '[DONE]' },
  ]);
}

// ---------------------------------------------------------------------------------------------
// Responses

const responseShell = {
  id: 'resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b',
  object: 'response',
  created_at: 1741476542,
  error: null,
  incomplete_details: null,
  instructions: null,
  max_output_tokens: 2048,
  model: 'gpt-5-2025-08-07',
  parallel_tool_calls: true,
  previous_response_id: null,
  reasoning: { effort: 'medium', summary: 'auto' },
  store: true,
  temperature: 1.0,
  text: { format: { type: 'text' } },
  tool_choice: 'auto',
  tools: [{ type: 'web_search', search_context_size: 'medium' }],
  top_p: 1.0,
  truncation: 'disabled',
  user: null,
  metadata: {},
};

export const RESPONSES_SUMMARY = '**Checking the forecast**\n\nThe user wants today’s weather in Paris.';
export const RESPONSES_TEXT_PIECES = ['Paris', ' is', ' sunny', ' today', ',', ' around', ' 18', ' °C', '.'];
export const RESPONSES_TEXT = RESPONSES_TEXT_PIECES.join('');

const reasoningItem = { id: 'rs_67ccd2bf17f0819081ff3bb2cf6508e6', type: 'reasoning', summary: [{ type: 'summary_text', text: RESPONSES_SUMMARY }] };
const searchItem = { id: 'ws_67ccd2bf17f0819081ff3bb2cf6508e7', type: 'web_search_call', status: 'completed', action: { type: 'search', query: 'weather Paris today' } };
const messageItem = {
  id: 'msg_67ccd2bf17f0819081ff3bb2cf6508e8',
  type: 'message',
  status: 'completed',
  role: 'assistant',
  content: [{ type: 'output_text', text: RESPONSES_TEXT, annotations: [{ type: 'url_citation', start_index: 0, end_index: 5, url: 'https://weather.example/paris', title: 'Paris weather' }] }],
};

export const RESPONSES_USAGE = {
  input_tokens: 9821,
  input_tokens_details: { cached_tokens: 4096 },
  output_tokens: 412,
  output_tokens_details: { reasoning_tokens: 256 },
  total_tokens: 10233,
};

/** A Responses stream with a reasoning summary, one web search and a text answer. */
export function responsesEvents(terminal: 'response.completed' | 'response.incomplete' = 'response.completed'): WireEvent[] {
  const list: object[] = [];
  const push = (event: object) => list.push({ ...event, sequence_number: list.length });
  push({ type: 'response.created', response: { ...responseShell, status: 'in_progress', output: [], usage: null } });
  push({ type: 'response.in_progress', response: { ...responseShell, status: 'in_progress', output: [], usage: null } });
  push({ type: 'response.output_item.added', output_index: 0, item: { id: reasoningItem.id, type: 'reasoning', summary: [] } });
  push({ type: 'response.reasoning_summary_part.added', item_id: reasoningItem.id, output_index: 0, summary_index: 0, part: { type: 'summary_text', text: '' } });
  for (const delta of [RESPONSES_SUMMARY.slice(0, 26), RESPONSES_SUMMARY.slice(26)]) {
    push({ type: 'response.reasoning_summary_text.delta', item_id: reasoningItem.id, output_index: 0, summary_index: 0, delta });
  }
  push({ type: 'response.reasoning_summary_text.done', item_id: reasoningItem.id, output_index: 0, summary_index: 0, text: RESPONSES_SUMMARY });
  push({ type: 'response.reasoning_summary_part.done', item_id: reasoningItem.id, output_index: 0, summary_index: 0, part: { type: 'summary_text', text: RESPONSES_SUMMARY } });
  push({ type: 'response.output_item.done', output_index: 0, item: reasoningItem });
  push({ type: 'response.output_item.added', output_index: 1, item: { id: searchItem.id, type: 'web_search_call', status: 'in_progress' } });
  push({ type: 'response.web_search_call.in_progress', item_id: searchItem.id, output_index: 1 });
  push({ type: 'response.web_search_call.searching', item_id: searchItem.id, output_index: 1 });
  push({ type: 'response.web_search_call.completed', item_id: searchItem.id, output_index: 1 });
  push({ type: 'response.output_item.done', output_index: 1, item: searchItem });
  push({ type: 'response.output_item.added', output_index: 2, item: { id: messageItem.id, type: 'message', status: 'in_progress', role: 'assistant', content: [] } });
  push({ type: 'response.content_part.added', item_id: messageItem.id, output_index: 2, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
  for (const delta of RESPONSES_TEXT_PIECES) push({ type: 'response.output_text.delta', item_id: messageItem.id, output_index: 2, content_index: 0, delta, logprobs: [] });
  push({ type: 'response.output_text.done', item_id: messageItem.id, output_index: 2, content_index: 0, text: RESPONSES_TEXT, logprobs: [] });
  push({ type: 'response.content_part.done', item_id: messageItem.id, output_index: 2, content_index: 0, part: messageItem.content[0] });
  push({ type: 'response.output_item.done', output_index: 2, item: messageItem });
  const status = terminal === 'response.completed' ? 'completed' : 'incomplete';
  push({
    type: terminal,
    response: {
      ...responseShell,
      status,
      incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
      output: [reasoningItem, searchItem, messageItem],
      usage: RESPONSES_USAGE,
    },
  });
  return list.map((data) => ({ event: (data as { type: string }).type, data }));
}

export function responsesStream(terminal?: 'response.completed' | 'response.incomplete'): string {
  return sse(responsesEvents(terminal));
}

export const RESPONSES_COMPLETED = (responsesEvents().at(-1)!.data as { response: unknown }).response;
