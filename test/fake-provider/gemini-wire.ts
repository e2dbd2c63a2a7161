// Gemini's wire format: GenerateContentResponse (camelCase REST), its streams (SSE with
// `?alt=sse`, else one JSON array written piece by piece) and errors. promptTokenCount includes
// cachedContentTokenCount; thoughtsTokenCount is reported beside candidatesTokenCount.

import { dataFrame, textPieces, tokenText, type Json, type Reply, type StreamPlan } from './wire-common';

function usageMetadata(r: Reply, candidates: number): Json {
  const u = r.usage;
  const prompt = u.input + u.cachedInput;
  const meta: Json = { promptTokenCount: prompt, candidatesTokenCount: candidates };
  if (u.cachedInput > 0) meta.cachedContentTokenCount = u.cachedInput;
  meta.thoughtsTokenCount = u.reasoning;
  meta.totalTokenCount = prompt + candidates + u.reasoning;
  meta.promptTokensDetails = [{ modality: 'TEXT', tokenCount: prompt }];
  return meta;
}

function groundingMetadata(r: Reply): Json {
  const queries: string[] = [];
  for (let i = 0; i < r.groundingQueries; i++) queries.push(`fake query ${i + 1}`);
  return { webSearchQueries: queries, groundingChunks: [], groundingSupports: [], searchEntryPoint: { renderedContent: '<div></div>' } };
}

function chunk(r: Reply, text: string, candidatesSoFar: number, final: boolean): Json {
  const candidate: Json = { content: { parts: [{ text }], role: 'model' }, index: 0 };
  if (final) {
    candidate.finishReason = r.capped ? 'MAX_TOKENS' : 'STOP';
    if (r.groundingQueries > 0) candidate.groundingMetadata = groundingMetadata(r);
  }
  const body: Json = { candidates: [candidate] };
  if (!r.omitUsage) body.usageMetadata = usageMetadata(r, candidatesSoFar);
  body.modelVersion = r.model;
  body.responseId = `fake-${r.seq}`;
  return body;
}

export function geminiAnswer(r: Reply): Json {
  return chunk(r, tokenText(r.usage.output), r.usage.output, true);
}

/**
 * One GenerateContentResponse per text piece, usageMetadata cumulative (the last chunk has the
 * totals, finishReason and any groundingMetadata). `sse`: `data: {…}` events; otherwise the
 * pieces of one JSON array (`[{…}`, `,\r\n{…}`, …, `]`).
 */
export function geminiStream(r: Reply, sse: boolean): StreamPlan {
  const pieces = textPieces(r.usage.output, r.tokensPerChunk);
  if (pieces.length === 0) pieces.push('');
  const frames: string[] = [];
  let sent = 0;
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i];
    sent += piece.length / 4;
    const json = JSON.stringify(chunk(r, piece, sent, i === pieces.length - 1));
    frames.push(sse ? dataFrame(json, r.eventEnd) : `${i === 0 ? '[' : ',\r\n'}${json}`);
  }
  const error = JSON.stringify({ error: { code: 500, message: 'An internal error has occurred.', status: 'INTERNAL' } });
  return {
    frames,
    firstDelta: 0,
    trailer: sse ? '' : ']',
    errorFrame: (sequence) => (sse ? dataFrame(error, r.eventEnd) : `${sequence === 0 ? '[' : ',\r\n'}${error}]`),
  };
}

const GEMINI_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** `{"error":{"code","message","status"}}`. */
export function geminiError(status: number, message: string, type?: string): string {
  return JSON.stringify({ error: { code: status, message, status: type ?? GEMINI_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION') } });
}
