// Gemini `streamGenerateContent?alt=sse` streams: each `data:` a whole GenerateContentResponse,
// lines ended with \r\n, no end marker. Running usageMetadata on each chunk; the early chunks of
// some models omit candidatesTokenCount, which only the last chunk (with finishReason) has.

import { sse } from './streams';

const meta = { modelVersion: 'gemini-2.5-flash', responseId: 'Il0taoSYJ5Cez7IPnKvn2Ac' };

export const GEMINI_PIECES = ['The sky', ' looks blue because air molecules scatter', ' short wavelengths more (Rayleigh scattering).'];

export function geminiTextStream(): string {
  const chunk = (text: string, usage: object, finishReason?: string) => ({
    data: { candidates: [{ content: { parts: [{ text }], role: 'model' }, ...(finishReason ? { finishReason } : {}), index: 0 }], usageMetadata: usage, ...meta },
  });
  return sse(
    [
      chunk(GEMINI_PIECES[0], { promptTokenCount: 8, totalTokenCount: 8, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 8 }] }),
      chunk(GEMINI_PIECES[1], { promptTokenCount: 8, totalTokenCount: 8, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 8 }] }),
      chunk(GEMINI_PIECES[2], { promptTokenCount: 8, candidatesTokenCount: 21, totalTokenCount: 29, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 8 }] }, 'STOP'),
    ],
    '\r\n',
  );
}

/** A thinking model with thought summaries (includeThoughts), cached content and grounding. */
export function geminiThinkingGroundedStream(): string {
  return sse(
    [
      {
        data: {
          candidates: [{ content: { parts: [{ text: '**Searching for the result**\nI will look up who won.', thought: true }], role: 'model' }, index: 0 }],
          usageMetadata: { promptTokenCount: 2150, cachedContentTokenCount: 2048, totalTokenCount: 2150, thoughtsTokenCount: 180 },
          ...meta,
        },
      },
      {
        data: {
          candidates: [{ content: { parts: [{ text: 'Spain won Euro 2024, beating England 2–1 in the final.', thoughtSignature: 'CiQBVKhc7nY2' }], role: 'model' }, index: 0 }],
          usageMetadata: { promptTokenCount: 2150, cachedContentTokenCount: 2048, totalTokenCount: 2342, thoughtsTokenCount: 180 },
          ...meta,
        },
      },
      {
        data: {
          candidates: [
            {
              content: { parts: [{ text: '' }], role: 'model' },
              finishReason: 'STOP',
              index: 0,
              groundingMetadata: {
                webSearchQueries: ['UEFA Euro 2024 winner', 'Euro 2024 final score'],
                searchEntryPoint: { renderedContent: '<style>…</style>' },
                groundingChunks: [{ web: { uri: 'https://vertexaisearch.cloud.google.com/grounding-api-redirect/x', title: 'uefa.com' } }],
              },
            },
          ],
          usageMetadata: { promptTokenCount: 2150, cachedContentTokenCount: 2048, candidatesTokenCount: 24, totalTokenCount: 2398, toolUsePromptTokenCount: 44, thoughtsTokenCount: 180 },
          ...meta,
        },
      },
    ],
    '\r\n',
  );
}

export function geminiFunctionCallStream(): string {
  return sse(
    [
      {
        data: {
          candidates: [{ content: { parts: [{ functionCall: { name: 'schedule_meeting', args: { attendees: ['Bob', 'Alice'], date: '2025-03-27', time: '10:00', topic: 'Q3 planning' } } }], role: 'model' }, finishReason: 'STOP', index: 0 }],
          usageMetadata: { promptTokenCount: 112, candidatesTokenCount: 31, totalTokenCount: 143 },
          ...meta,
        },
      },
    ],
    '\r\n',
  );
}
