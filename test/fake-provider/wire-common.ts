// What every provider's wire format needs to render one answer, and the pieces they share:
// the answer text (exactly one `tok ` word per output token), request size estimates and
// SSE framing.

import type { FakeUsage } from './behavior';

/** Everything decided about one successful answer before it is rendered in a provider's format. */
export interface Reply {
  /** A unique number for ids. */
  seq: number;
  model: string;
  /** Unix seconds. */
  created: number;
  usage: FakeUsage;
  omitUsage: boolean;
  /** The output reached the request's cap (finish reason "length" / "max_tokens"). */
  capped: boolean;
  tokensPerChunk: number;
  webSearchCalls: number;
  groundingQueries: number;
  reasoningInCompletion: boolean;
  /** SSE event terminator: "\n\n" or "\r\n\r\n". */
  eventEnd: string;
  /** The parsed request body. */
  request: Record<string, unknown>;
}

/** A rendered stream: its events (each a complete SSE frame), and where the text deltas start. */
export interface StreamPlan {
  frames: string[];
  /** Index of the first frame carrying output text (where malformedJson breaks the JSON). */
  firstDelta: number;
  /** Rendered in-band error (sent by errorAfterChunks) for the event numbered `sequence`. */
  errorFrame(sequence: number): string;
  /** Ends the stream after all frames (OpenAI chat's `[DONE]`, the JSON array's `]`). */
  trailer: string;
}

export const TOKEN_WORD = 'tok ';

const textCache: string[] = [];
/** `tok ` repeated n times, so the text holds exactly n "tokens". */
export function tokenText(n: number): string {
  if (n < 256) return (textCache[n] ??= TOKEN_WORD.repeat(n));
  return TOKEN_WORD.repeat(n);
}

/** The text deltas of a stream: ceil(n / perChunk) pieces of up to perChunk tokens. */
export function textPieces(n: number, perChunk: number): string[] {
  const size = Math.max(1, perChunk);
  const pieces: string[] = [];
  for (let left = n; left > 0; left -= size) pieces.push(tokenText(Math.min(size, left)));
  return pieces;
}

/**
 * UTF-8 bytes of the prompt text in a request value: strings, arrays, and the text-bearing
 * fields of objects (`text`, `content`, `parts`, function `output`). Roles, types, ids and
 * options are not prompt text.
 */
export function textBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (Array.isArray(value)) {
    let sum = 0;
    for (const item of value) sum += textBytes(item);
    return sum;
  }
  if (typeof value === 'object' && value !== null) {
    const obj = value as Record<string, unknown>;
    return textBytes(obj.text) + textBytes(obj.content) + textBytes(obj.parts) + textBytes(obj.output);
  }
  return 0;
}

/** Default input tokens: UTF-8 bytes / 4, at least 1. */
export function tokensFromBytes(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 4));
}

export function dataFrame(json: string, eventEnd: string): string {
  return `data: ${json}${eventEnd}`;
}

export function namedFrame(event: string, json: string, eventEnd: string): string {
  return `event: ${event}${eventEnd === '\n\n' ? '\n' : '\r\n'}data: ${json}${eventEnd}`;
}

/** Replaces the JSON of an SSE frame by its first half: a frame that will not parse. */
export function breakFrame(frame: string, eventEnd: string): string {
  const data = frame.indexOf('data: ');
  const body = frame.slice(data + 6, frame.length - eventEnd.length);
  return `${frame.slice(0, data + 6)}${body.slice(0, Math.max(1, Math.floor(body.length / 2)))}${eventEnd}`;
}

export type Json = Record<string, unknown>;
export const asObject = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;

/** The request's own output cap, whichever provider's name it goes by. */
export function requestedCap(body: Json): number | undefined {
  const cap =
    body.max_completion_tokens ?? body.max_tokens ?? body.max_output_tokens ?? asObject(body.generationConfig)?.maxOutputTokens ??
    asObject(body.generation_config)?.max_output_tokens;
  return typeof cap === 'number' && Number.isFinite(cap) && cap >= 0 ? Math.floor(cap) : undefined;
}
