// Test support for the stream specs: writing SSE streams, feeding them split at given points, and
// a fast-check arbitrary of split points.

import fc from 'fast-check';
import { SseParser, type SseEvent } from '../sse';
import type { StreamUsageTracker } from '../stream-usage';

export interface WireEvent {
  event?: string;
  /** An object is written as JSON; a string as is (e.g. `[DONE]`). */
  data: unknown;
}

/** An SSE stream as the providers write it: `event:` (when given), `data:`, blank line. */
export function sse(events: readonly WireEvent[], eol = '\n'): string {
  return events
    .map((e) => {
      const data = typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
      return `${e.event !== undefined ? `event: ${e.event}${eol}` : ''}data: ${data}${eol}${eol}`;
    })
    .join('');
}

/** Splits `bytes` at the given offsets (any order, duplicates and out-of-range ignored). */
export function splitAt(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const cuts = [...new Set(offsets.filter((o) => o > 0 && o < bytes.length))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const cut of cuts) {
    chunks.push(bytes.subarray(start, cut));
    start = cut;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

/** Every event of the stream fed in those chunks, then flushed. */
export function parseChunks(chunks: readonly Buffer[]): SseEvent[] {
  const parser = new SseParser();
  const events: SseEvent[] = [];
  for (const chunk of chunks) events.push(...parser.push(chunk));
  events.push(...parser.flush());
  return events;
}

export function track(tracker: StreamUsageTracker, stream: string | Buffer, offsets: readonly number[] = []): StreamUsageTracker {
  const bytes = typeof stream === 'string' ? Buffer.from(stream, 'utf8') : stream;
  for (const event of parseChunks(splitAt(bytes, offsets))) tracker.onEvent(event);
  return tracker;
}

/** Split points for a stream of `length` bytes: anywhere, including inside characters. */
export const splitPoints = (length: number) => fc.array(fc.integer({ min: 0, max: length }), { maxLength: 40 });

/** Byte offsets just after each event of a stream (where a stream can be cut between events). */
export function eventEnds(stream: string): number[] {
  const bytes = Buffer.from(stream, 'utf8');
  const ends: number[] = [];
  let offset = 0;
  for (const event of parseChunks([bytes])) {
    offset += event.raw.length;
    ends.push(offset);
  }
  return ends;
}

/** The first `bytes` bytes of the stream: a stream cut short there. */
export function cut(stream: string, bytes: number): Buffer {
  return Buffer.from(stream, 'utf8').subarray(0, bytes);
}
