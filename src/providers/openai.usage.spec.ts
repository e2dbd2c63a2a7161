// Real answer shapes from OpenAI and xAI, priced with the seed document's rates
// (gpt-4o-mini 15/60 cached 8; gpt-5.2 175/1400 cached 18 reasoning 1400;
// text-embedding-3-small 2; grok-3 300/1500 cached 75).

import { costOf } from '../pricing/cost-engine';
import { seedCard } from '../pricing/testdata/seed-table';
import { emptyUsage } from '../pricing/usage';
import { openAiChatUsage, openAiEmbeddingsUsage, openAiResponsesUsage } from './openai.usage';

describe('openAiChatUsage', () => {
  it('splits cached tokens out of prompt_tokens', () => {
    const response = {
      id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
      object: 'chat.completion',
      created: 1741570283,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [{ index: 0, message: { role: 'assistant', content: 'The image shows a wooden boardwalk.', refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: 1200,
        completion_tokens: 300,
        total_tokens: 1500,
        prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      },
      service_tier: 'default',
      system_fingerprint: 'fp_06737a9306',
    };
    const usage = openAiChatUsage(response)!;
    expect(usage).toEqual({ ...emptyUsage(), inputTokens: 176, cachedInputTokens: 1024, outputTokens: 300 });
    // 176 × 15 + 1024 × 8 + 300 × 60
    expect(costOf(seedCard('openai', 'gpt-4o-mini'), usage).totalMicrocents).toBe(28_832n);
  });

  it('splits reasoning tokens out of completion_tokens', () => {
    const response = {
      id: 'chatcmpl-abc',
      object: 'chat.completion',
      model: 'gpt-5.2',
      choices: [{ index: 0, message: { role: 'assistant', content: '42' }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: 2000,
        completion_tokens: 1500,
        total_tokens: 3500,
        prompt_tokens_details: { cached_tokens: 1536, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 1024, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      },
    };
    const usage = openAiChatUsage(response)!;
    expect(usage).toEqual({ ...emptyUsage(), inputTokens: 464, cachedInputTokens: 1536, outputTokens: 476, reasoningTokens: 1024 });
    // 464 × 175 + 1536 × 18 + 476 × 1400 + 1024 × 1400
    expect(costOf(seedCard('openai', 'gpt-5.2'), usage).totalMicrocents).toBe(2_208_848n);
  });

  it('reads the usage chunk that ends a stream', () => {
    const finalChunk = { id: 'chatcmpl-x', object: 'chat.completion.chunk', model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 } };
    expect(costOf(seedCard('openai', 'gpt-4o-mini'), openAiChatUsage(finalChunk)!).totalMicrocents).toBe(9n * 15n + 12n * 60n);
    expect(openAiChatUsage({ object: 'chat.completion.chunk', choices: [{ delta: { content: 'hi' } }] })).toBeUndefined();
  });

  it('detects whether Grok counted reasoning inside completion_tokens', () => {
    // grok-3-mini style: reasoning outside (total = prompt + completion + reasoning).
    const outside = {
      model: 'grok-3-mini',
      usage: { prompt_tokens: 32, completion_tokens: 9, total_tokens: 135, prompt_tokens_details: { text_tokens: 32, audio_tokens: 0, image_tokens: 0, cached_tokens: 6 }, completion_tokens_details: { reasoning_tokens: 94, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 } },
    };
    const a = openAiChatUsage(outside, 'grok')!;
    expect(a).toEqual({ ...emptyUsage(), inputTokens: 26, cachedInputTokens: 6, outputTokens: 9, reasoningTokens: 94 });
    // 26 × 300 + 6 × 75 + (9 + 94) × 1500
    expect(costOf(seedCard('grok', 'grok-3'), a).totalMicrocents).toBe(162_750n);

    // grok-4 style: reasoning inside (total = prompt + completion).
    const inside = {
      model: 'grok-4',
      usage: { prompt_tokens: 686, completion_tokens: 123, total_tokens: 809, prompt_tokens_details: { cached_tokens: 679, text_tokens: 686, audio_tokens: 0, image_tokens: 0 }, completion_tokens_details: { text_tokens: 11, audio_tokens: 0, reasoning_tokens: 112 } },
    };
    const b = openAiChatUsage(inside, 'grok')!;
    expect(b).toEqual({ ...emptyUsage(), inputTokens: 7, cachedInputTokens: 679, outputTokens: 11, reasoningTokens: 112 });
    expect(costOf(seedCard('grok', 'grok-3'), b).totalMicrocents).toBe(7n * 300n + 679n * 75n + 123n * 1500n);

    // No total to tell: bill reasoning on top, the larger reading.
    const unknown = { usage: { prompt_tokens: 10, completion_tokens: 20, completion_tokens_details: { reasoning_tokens: 5 } } };
    expect(openAiChatUsage(unknown, 'grok')!.outputTokens).toBe(20);
    expect(openAiChatUsage(unknown, 'openai')!.outputTokens).toBe(15);
  });

  it('never loses tokens to odd counts', () => {
    const odd = { usage: { prompt_tokens: 5, prompt_tokens_details: { cached_tokens: 9 }, completion_tokens: 2.5, completion_tokens_details: { reasoning_tokens: null } } };
    expect(openAiChatUsage(odd)).toEqual({ ...emptyUsage(), inputTokens: 0, cachedInputTokens: 9, outputTokens: 3 });
    expect(openAiChatUsage({ usage: null })).toBeUndefined();
    expect(openAiChatUsage('nope')).toBeUndefined();
  });
});

describe('openAiResponsesUsage', () => {
  const response = {
    id: 'resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b',
    object: 'response',
    created_at: 1741476542,
    status: 'completed',
    model: 'gpt-5.2',
    output: [
      { type: 'reasoning', id: 'rs_1', summary: [] },
      { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'spendguard pricing' } },
      { type: 'web_search_call', id: 'ws_2', status: 'completed', action: { type: 'open_page', url: 'https://example.com' } },
      { type: 'file_search_call', id: 'fs_1', status: 'completed', queries: ['budget caps'], results: null },
      {
        type: 'message',
        id: 'msg_1',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'In a peaceful grove beneath a silver moon...', annotations: [] }],
      },
    ],
    usage: {
      input_tokens: 36,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 87,
      output_tokens_details: { reasoning_tokens: 64 },
      total_tokens: 123,
    },
  };

  it('splits reasoning and counts hosted tool calls', () => {
    const usage = openAiResponsesUsage(response)!;
    expect(usage).toEqual({ ...emptyUsage(), inputTokens: 36, outputTokens: 23, reasoningTokens: 64, webSearchCalls: 2, fileSearchCalls: 1 });
    // 36 × 175 + 23 × 1400 + 64 × 1400; the seed card prices no searches.
    expect(costOf(seedCard('openai', 'gpt-5.2'), usage).totalMicrocents).toBe(128_100n);
  });

  it('reads the response of a response.completed stream event', () => {
    const event = { type: 'response.completed', sequence_number: 42, response: { ...response, output: [] } };
    expect(openAiResponsesUsage(event.response)!.webSearchCalls).toBe(0);
    expect(openAiResponsesUsage({ type: 'response.output_text.delta', delta: 'x' })).toBeUndefined();
  });

  it('splits cached input tokens', () => {
    const cached = { ...response, output: [], usage: { input_tokens: 5000, input_tokens_details: { cached_tokens: 4096 }, output_tokens: 10, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 5010 } };
    const usage = openAiResponsesUsage(cached)!;
    expect(usage).toEqual({ ...emptyUsage(), inputTokens: 904, cachedInputTokens: 4096, outputTokens: 10 });
    expect(costOf(seedCard('openai', 'gpt-5.2'), usage).totalMicrocents).toBe(904n * 175n + 4096n * 18n + 10n * 1400n);
  });
});

describe('openAiEmbeddingsUsage', () => {
  it('bills prompt tokens as input', () => {
    const response = {
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [0.0023064255, -0.009327292, -0.0028842222] }],
      model: 'text-embedding-3-small',
      usage: { prompt_tokens: 8, total_tokens: 8 },
    };
    const usage = openAiEmbeddingsUsage(response)!;
    expect(usage).toEqual({ ...emptyUsage(), inputTokens: 8 });
    expect(costOf(seedCard('openai', 'text-embedding-3-small'), usage).totalMicrocents).toBe(16n);
  });
});
