// Real generateContent answer shapes priced with the seed's gemini-3-pro-preview card
// (input 200, output 1200, cached 20, grounding 3500 cents per 1000 queries).

import { costOf } from '../pricing/cost-engine';
import { seedCard } from '../pricing/testdata/seed-table';
import { emptyUsage } from '../pricing/usage';
import { geminiUsage } from './gemini.usage';

const gemini = seedCard('gemini', 'gemini-3-pro-preview');

describe('geminiUsage', () => {
  it('splits cached content, bills thoughts and tool-use prompts, and counts grounding queries', () => {
    const response = {
      candidates: [
        {
          content: { role: 'model', parts: [{ text: 'Spain won Euro 2024, beating England 2-1 in the final.' }] },
          finishReason: 'STOP',
          index: 0,
          groundingMetadata: {
            webSearchQueries: ['UEFA Euro 2024 winner', 'who won euro 2024'],
            searchEntryPoint: { renderedContent: '<!-- HTML and CSS for the search widget -->' },
            groundingChunks: [{ web: { uri: 'https://vertexaisearch.cloud.google.com/grounding-api-redirect/1', title: 'aljazeera.com' } }],
            groundingSupports: [{ segment: { startIndex: 0, endIndex: 51, text: 'Spain won Euro 2024, beating England 2-1 in the final.' }, groundingChunkIndices: [0] }],
          },
        },
      ],
      usageMetadata: {
        promptTokenCount: 5000,
        cachedContentTokenCount: 4000,
        candidatesTokenCount: 800,
        toolUsePromptTokenCount: 300,
        thoughtsTokenCount: 1200,
        totalTokenCount: 7300,
        promptTokensDetails: [{ modality: 'TEXT', tokenCount: 5000 }],
        cacheTokensDetails: [{ modality: 'TEXT', tokenCount: 4000 }],
      },
      modelVersion: 'gemini-3-pro-preview',
      responseId: 'mAitaLmkHPPlz7IPvtfUqQ4',
    };
    const usage = geminiUsage(response)!;
    expect(usage).toEqual({ ...emptyUsage(), inputTokens: 1300, cachedInputTokens: 4000, outputTokens: 800, reasoningTokens: 1200, groundingQueries: 2 });
    // 1300 × 200 + 4000 × 20 + (800 + 1200) × 1200 + 2 × 3,500,000
    expect(costOf(gemini, usage).totalMicrocents).toBe(9_740_000n);
  });

  it('prices a plain answer', () => {
    const response = {
      candidates: [{ content: { role: 'model', parts: [{ text: 'Hello!' }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 8, candidatesTokenCount: 2, totalTokenCount: 10, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 8 }] },
      modelVersion: 'gemini-3-pro-preview',
    };
    expect(costOf(gemini, geminiUsage(response)!).totalMicrocents).toBe(8n * 200n + 2n * 1200n);
  });

  it('sums grounding queries over candidates and reads the last stream chunk', () => {
    const chunk = {
      candidates: [
        { index: 0, groundingMetadata: { webSearchQueries: ['a'] } },
        { index: 1, groundingMetadata: { webSearchQueries: ['b', 'c'] } },
      ],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 40, totalTokenCount: 50 },
    };
    expect(geminiUsage(chunk)!.groundingQueries).toBe(3);
    expect(geminiUsage({ candidates: [{ content: { parts: [{ text: 'partial' }] } }] })).toBeUndefined();
  });

  it('accepts snake_case serialisations', () => {
    const usage = geminiUsage({ usage_metadata: { prompt_token_count: 10, cached_content_token_count: 4, candidates_token_count: 3, thoughts_token_count: 2 } });
    expect(usage).toEqual({ ...emptyUsage(), inputTokens: 6, cachedInputTokens: 4, outputTokens: 3, reasoningTokens: 2 });
  });
});
