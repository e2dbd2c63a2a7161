// Incremental reader of a streamed top-level JSON array: Gemini's `streamGenerateContent`
// without `alt=sse` answers `[{…},\r\n{…},\r\n{…}]`, one GenerateContentResponse per element,
// written as the model produces them. The proxy relays the bytes unchanged; this only finds each
// complete element so the usage tracker can read it (tracker.onData(element)).
//
// Works on bytes: every structural character is ASCII, and no byte of a multi-byte UTF-8
// character is ASCII, so a chunk split inside a character needs no care until an element is
// complete and decoded.

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

export const DEFAULT_MAX_JSON_ELEMENT_BYTES = 8 * 1024 * 1024;

export class JsonElementTooLargeError extends Error {
  readonly code = 'json_element_too_large';
  constructor(readonly limitBytes: number) {
    super(`an upstream stream element exceeded ${limitBytes} bytes`);
    this.name = 'JsonElementTooLargeError';
  }
}

export class JsonArrayStreamError extends Error {
  readonly code = 'json_array_stream_invalid';
}

export class JsonArrayStreamParser {
  private depth = 0; // 0: before '[', 1: inside the array, >1: inside an element
  private inString = false;
  private escaped = false;
  private closed = false;
  /** Bytes of the element being read, from earlier chunks. */
  private parts: Buffer[] = [];
  private partBytes = 0;
  private inElement = false;

  constructor(private readonly maxElementBytes = DEFAULT_MAX_JSON_ELEMENT_BYTES) {}

  /** The JSON text of every element the chunk completed, in order. */
  push(chunk: Uint8Array): string[] {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const elements: string[] = [];
    let start = this.inElement ? 0 : -1;
    for (let i = 0; i < buf.length; i++) {
      const byte = buf[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) this.inString = false;
        continue;
      }
      if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
      if (this.closed) throw new JsonArrayStreamError('data after the end of the streamed array');
      if (this.depth === 0) {
        if (byte !== OPEN_BRACKET) throw new JsonArrayStreamError('a streamed array must start with [');
        this.depth = 1;
        continue;
      }
      if (this.depth === 1 && !this.inElement) {
        if (byte === COMMA) continue;
        if (byte === CLOSE_BRACKET) {
          this.closed = true;
          continue;
        }
        if (byte !== OPEN_BRACE && byte !== OPEN_BRACKET) throw new JsonArrayStreamError('streamed array elements must be objects or arrays');
        this.inElement = true;
        start = i;
      }
      if (byte === QUOTE) this.inString = true;
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) this.depth += 1;
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        this.depth -= 1;
        if (this.depth === 1) {
          elements.push(this.take(buf.subarray(start, i + 1)));
          this.inElement = false;
          start = -1;
        }
      }
    }
    if (this.inElement && start >= 0) {
      this.parts.push(buf.subarray(start));
      this.partBytes += buf.length - start;
      if (this.partBytes > this.maxElementBytes) throw new JsonElementTooLargeError(this.maxElementBytes);
    }
    return elements;
  }

  /** True once the closing `]` has been read: the answer is complete. */
  get complete(): boolean {
    return this.closed;
  }

  private take(tail: Buffer): string {
    const size = this.partBytes + tail.length;
    if (size > this.maxElementBytes) throw new JsonElementTooLargeError(this.maxElementBytes);
    const bytes = this.parts.length === 0 ? tail : Buffer.concat([...this.parts, tail], size);
    this.parts = [];
    this.partBytes = 0;
    return bytes.toString('utf8');
  }
}
