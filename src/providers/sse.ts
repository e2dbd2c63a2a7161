// Incremental Server-Sent Events parser for relaying provider streams (SPEC §4 rules 1 and 8).
//
// Feed it upstream chunks as they arrive, split anywhere (inside a UTF-8 character, between the
// `\r` and `\n` of a line ending); it returns each complete event with the exact bytes it came
// from, so the proxy can relay an event unchanged, or drop it, without re-serialising anything.
//
// Invariant: the `raw` of every event returned by push() and flush(), concatenated in order, is
// exactly the input. To keep it, every blank-line-terminated block is returned, including blocks
// that carry no data (comments, keep-alives, stray blank lines): relay them like the rest.
//
// Line endings follow the WHATWG rules: `\r\n`, `\n` or a lone `\r`. A block ending in `\r` at
// the very end of a chunk is returned at once (no waiting for the next chunk); if a `\n` follows
// in the next chunk it completes that line ending and is carried at the start of the next
// event's `raw`. Relayed or dropped, that byte cannot change what a client parses: after a
// completed block a lone `\n` is an empty line, which dispatches nothing.
//
// Memory: the parser keeps slices of the chunks it was given (no copy) until their event is
// complete, so a caller must not reuse a chunk's memory; one block may hold at most
// `maxEventBytes` (default 8 MiB), past which the stream fails with SseEventTooLargeError.

export interface SseEvent {
  /** The `event:` field, when the block has one. */
  event?: string;
  /** The `data:` lines joined with `\n` ("" when there are none). */
  data: string;
  /** True when the block has at least one `data:` line (a real event, not a comment or blank). */
  hasData: boolean;
  /** The `id:` field, when the block has one. */
  id?: string;
  /** The exact bytes of this block, including its terminating blank line. */
  raw: Buffer;
}

/** One event (block) may not grow past this many bytes: a provider event is at most a few MiB. */
export const DEFAULT_MAX_SSE_EVENT_BYTES = 8 * 1024 * 1024;

/**
 * Thrown by push() or flush() when a block grows past the limit. Events the same push() had
 * already completed are in `completedEvents`: relay them, then end the stream. The parser stays
 * failed (every later call throws this error again, with no events).
 */
export class SseEventTooLargeError extends Error {
  readonly code = 'sse_event_too_large';
  constructor(
    readonly limitBytes: number,
    readonly completedEvents: readonly SseEvent[] = [],
  ) {
    super(`an upstream stream event exceeded ${limitBytes} bytes`);
    this.name = 'SseEventTooLargeError';
  }
}

const LF = 0x0a;
const CR = 0x0d;

export interface SseParserOptions {
  maxEventBytes?: number;
}

export class SseParser {
  private readonly maxEventBytes: number;
  /** Bytes of the block being read, from earlier chunks (kept as slices, never re-copied). */
  private rawParts: Buffer[] = [];
  private rawBytes = 0;
  /** Bytes of the unterminated line, from earlier chunks. */
  private lineParts: Buffer[] = [];
  /** The last byte seen was a `\r` ending a line: a `\n` right after it belongs to that ending. */
  private afterCR = false;
  private firstLine = true;
  private failed: SseEventTooLargeError | undefined;
  private ended = false;
  // Fields of the block being read.
  private dataLines: string[] = [];
  private eventType: string | undefined;
  private lastId: string | undefined;

  constructor(options: SseParserOptions = {}) {
    const max = options.maxEventBytes ?? DEFAULT_MAX_SSE_EVENT_BYTES;
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`maxEventBytes must be a positive integer, got ${max}`);
    this.maxEventBytes = max;
  }

  /** Parses one chunk; returns the events it completed, in order. */
  push(chunk: Uint8Array): SseEvent[] {
    this.assertUsable();
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const events: SseEvent[] = [];
    let regionStart = 0; // where this chunk's share of the current block starts
    let lineStart = 0;
    let i = 0;
    if (this.afterCR && buf.length > 0) {
      this.afterCR = false;
      if (buf[0] === LF) {
        i = 1;
        lineStart = 1;
      }
    }
    for (; i < buf.length; i++) {
      const byte = buf[i];
      if (byte !== LF && byte !== CR) continue;
      const line = this.takeLine(buf, lineStart, i);
      let next = i + 1;
      if (byte === CR) {
        if (next < buf.length) {
          if (buf[next] === LF) next += 1;
        } else {
          this.afterCR = true;
        }
      }
      lineStart = next;
      if (this.rawBytes + (next - regionStart) > this.maxEventBytes) this.fail(events);
      if (line.length === 0) {
        events.push(this.dispatch(buf.subarray(regionStart, next)));
        regionStart = next;
      } else {
        this.readLine(line);
      }
      i = next - 1;
    }
    if (lineStart < buf.length) this.lineParts.push(buf.subarray(lineStart));
    if (regionStart < buf.length) {
      this.rawParts.push(buf.subarray(regionStart));
      this.rawBytes += buf.length - regionStart;
      if (this.rawBytes > this.maxEventBytes) this.fail(events);
    }
    return events;
  }

  /**
   * End of stream: returns the last block if it was not terminated by a blank line (its `raw` is
   * whatever bytes remained), else nothing. The parser cannot be used afterwards.
   */
  flush(): SseEvent[] {
    this.assertUsable();
    this.ended = true;
    if (this.lineParts.length > 0) {
      const line = Buffer.concat(this.lineParts);
      this.lineParts = [];
      this.readLine(line.toString('utf8'));
    }
    if (this.rawBytes === 0) return [];
    return [this.dispatch(Buffer.alloc(0))];
  }

  private takeLine(buf: Buffer, start: number, end: number): string {
    let bytes: Buffer;
    if (this.lineParts.length === 0) bytes = buf.subarray(start, end);
    else {
      this.lineParts.push(buf.subarray(start, end));
      bytes = Buffer.concat(this.lineParts);
      this.lineParts = [];
    }
    return bytes.toString('utf8');
  }

  private readLine(text: string): void {
    let line = text;
    if (this.firstLine) {
      this.firstLine = false;
      if (line.charCodeAt(0) === 0xfeff) line = line.slice(1); // a UTF-8 BOM opening the stream
    }
    if (line.length === 0 || line[0] === ':') return; // a comment (a BOM-only first line: nothing)
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value[0] === ' ') value = value.slice(1);
    switch (field) {
      case 'data':
        this.dataLines.push(value);
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      default:
      // `retry` and unknown fields carry nothing the proxy needs; they stay in `raw`.
    }
  }

  private dispatch(tail: Buffer): SseEvent {
    const size = this.rawBytes + tail.length;
    if (size > this.maxEventBytes) this.fail([]);
    const raw = this.rawParts.length === 0 ? Buffer.from(tail) : Buffer.concat([...this.rawParts, tail], size);
    const event: SseEvent = { data: this.dataLines.join('\n'), hasData: this.dataLines.length > 0, raw };
    if (this.eventType !== undefined) event.event = this.eventType;
    if (this.lastId !== undefined) event.id = this.lastId;
    this.rawParts = [];
    this.rawBytes = 0;
    this.dataLines = [];
    this.eventType = undefined;
    this.lastId = undefined;
    return event;
  }

  private fail(completedEvents: SseEvent[]): never {
    this.failed = new SseEventTooLargeError(this.maxEventBytes);
    this.rawParts = [];
    this.rawBytes = 0;
    this.lineParts = [];
    this.dataLines = [];
    throw new SseEventTooLargeError(this.maxEventBytes, completedEvents);
  }

  private assertUsable(): void {
    if (this.failed) throw this.failed;
    if (this.ended) throw new Error('SseParser: push or flush after flush');
  }
}

/** Parses a whole stream at once (tests, and answers already in memory). */
export function parseSse(input: Uint8Array | string, options?: SseParserOptions): SseEvent[] {
  const parser = new SseParser(options);
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  return [...parser.push(bytes), ...parser.flush()];
}
