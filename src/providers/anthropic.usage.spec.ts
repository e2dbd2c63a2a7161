// Real Messages answer shapes priced with the seed's claude-opus-4-6 card
// (input 500, output 2500, cache write 625, cache read 50; cliff above 200k: ×2 / ×1.5).

import { costOf } from '../pricing/cost-engine';
import { seedCard } from '../pricing/testdata/seed-table';
import { emptyUsage } from '../pricing/usage';
import { anthropicMessageUsage, anthropicUsageFromFields, mergeAnthropicStreamUsage } from './anthropic.usage';

const opus = seedCard('anthropic', 'claude-opus-4-6');

describe('anthropicMessageUsage', () => {
  it('bills input, cache writes, cache reads and output once each', () => {
    const response = {
      id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
      type: 'message',
      role: 'assistant',
      model: 'claude-opus-4-6',
      content: [
        { type: 'server_tool_use', id: 'srvtoolu_01', name: 'web_search', input: { query: 'claude pricing' } },
        { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_01', content: [{ type: 'web_search_result', url: 'https://example.com', title: 'x', encrypted_content: 'EqgfCioIARgB', page_age: null }] },
        { type: 'text', text: 'Here is what I found.', citations: null },
      ],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: 2095,
        cache_creation_input_tokens: 1500,
        cache_read_input_tokens: 12000,
        cache_creation: { ephemeral_5m_input_tokens: 1500, ephemeral_1h_input_tokens: 0 },
        output_tokens: 503,
        server_tool_use: { web_search_requests: 2, web_fetch_requests: 0 },
        service_tier: 'standard',
      },
    };
    const usage = anthropicMessageUsage(response)!;
    expect(usage).toEqual({ ...emptyUsage(), inputTokens: 2095, cacheWriteTokens: 1500, cacheReadTokens: 12000, outputTokens: 503, webSearchCalls: 2 });
    // 2095 × 500 + 1500 × 625 + 12000 × 50 + 503 × 2500; the seed card prices no searches.
    expect(costOf(opus, usage).totalMicrocents).toBe(3_842_500n);
  });

  it('applies the long-context cliff when cache reads push input past 200k', () => {
    const response = { type: 'message', usage: { input_tokens: 50_000, cache_creation_input_tokens: 0, cache_read_input_tokens: 160_000, output_tokens: 2000 } };
    const cost = costOf(opus, anthropicMessageUsage(response)!);
    expect(cost.cliffApplied).toBe(true);
    expect(cost.totalMicrocents).toBe(50_000n * 1000n + 160_000n * 100n + 2000n * 3750n);
  });

  it('takes cache writes from the TTL breakdown when the total is missing', () => {
    expect(anthropicUsageFromFields({ input_tokens: 1, cache_creation: { ephemeral_5m_input_tokens: 10, ephemeral_1h_input_tokens: 5 }, output_tokens: 1 }).cacheWriteTokens).toBe(15);
    expect(anthropicMessageUsage({ type: 'message' })).toBeUndefined();
  });
});

describe('mergeAnthropicStreamUsage', () => {
  it('combines message_start and the cumulative message_delta', () => {
    const messageStart = {
      type: 'message_start',
      message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], model: 'claude-opus-4-6', stop_reason: null, usage: { input_tokens: 472, cache_creation_input_tokens: 0, cache_read_input_tokens: 2048, output_tokens: 2 } },
    };
    const messageDelta = {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { input_tokens: 10_682, cache_creation_input_tokens: 0, cache_read_input_tokens: 2048, output_tokens: 510, server_tool_use: { web_search_requests: 1 } },
    };
    const usage = anthropicUsageFromFields(mergeAnthropicStreamUsage(messageStart.message.usage, messageDelta.usage));
    expect(usage).toEqual({ ...emptyUsage(), inputTokens: 10_682, cacheReadTokens: 2048, outputTokens: 510, webSearchCalls: 1 });
    expect(costOf(opus, usage).totalMicrocents).toBe(10_682n * 500n + 2048n * 50n + 510n * 2500n);
  });

  it('keeps message_start figures when the delta omits them', () => {
    const usage = anthropicUsageFromFields(mergeAnthropicStreamUsage({ input_tokens: 25, cache_creation_input_tokens: 7, output_tokens: 1 }, { output_tokens: 15 }));
    expect(usage).toEqual({ ...emptyUsage(), inputTokens: 25, cacheWriteTokens: 7, outputTokens: 15 });
  });
});
