import fc from 'fast-check';
import { parseSse, SseEventTooLargeError, SseParser, type SseEvent } from './sse';
import { parseChunks, splitAt, splitPoints } from './testdata/streams';

const fields = (events: SseEvent[]) => events.map(({ event, data, hasData, id }) => ({ event, data, hasData, id }));
const withData = (events: SseEvent[]) => fields(events.filter((e) => e.hasData));
const concatRaw = (events: SseEvent[]) => Buffer.concat(events.map((e) => e.raw));

describe('SseParser', () => {
  it('reads event names, multi-line data, ids and comments, and keeps each event’s bytes', () => {
    const stream =
      ': keep-alive\n\n' +
      'event: message_start\ndata: {"type":"message_start"}\n\n' +
      'id: 7\nretry: 1000\ndata: line one\ndata:line two\ndata\n\n' +
      'data: [DONE]\n\n';
    const events = parseSse(stream);
    expect(fields(events)).toEqual([
      { event: undefined, data: '', hasData: false, id: undefined },
      { event: 'message_start', data: '{"type":"message_start"}', hasData: true, id: undefined },
      { event: undefined, data: 'line one\nline two\n', hasData: true, id: '7' },
      { event: undefined, data: '[DONE]', hasData: true, id: undefined },
    ]);
    expect(events.map((e) => e.raw.toString())).toEqual([
      ': keep-alive\n\n',
      'event: message_start\ndata: {"type":"message_start"}\n\n',
      'id: 7\nretry: 1000\ndata: line one\ndata:line two\ndata\n\n',
      'data: [DONE]\n\n',
    ]);
  });

  it('accepts \\r\\n and lone \\r line endings', () => {
    const crlf = parseSse('data: {"a":1}\r\n\r\nevent: x\r\ndata: b\r\n\r\n');
    expect(withData(crlf)).toEqual([
      { event: undefined, data: '{"a":1}', hasData: true, id: undefined },
      { event: 'x', data: 'b', hasData: true, id: undefined },
    ]);
    expect(crlf[0].raw.toString()).toBe('data: {"a":1}\r\n\r\n');
    const cr = parseSse('data: a\rdata: b\r\rdata: c\r\r');
    expect(withData(cr).map((e) => e.data)).toEqual(['a\nb', 'c']);
  });

  it('returns an event as soon as its blank line ends, even when a \\r\\n is split', () => {
    const parser = new SseParser();
    expect(parser.push(Buffer.from('data: one\r\n\r'))).toHaveLength(1); // no wait for the \n
    const rest = parser.push(Buffer.from('\ndata: two\r\n\r\n'));
    expect(withData(rest)).toEqual([{ event: undefined, data: 'two', hasData: true, id: undefined }]);
    // The \n that completed the first event's \r\n travels at the front of the next event.
    expect(rest[0].raw.toString()).toBe('\ndata: two\r\n\r\n');
    expect(parser.flush()).toEqual([]);
  });

  it('treats a \\r at the end of a line split from its \\n as one line ending', () => {
    const parser = new SseParser();
    expect(parser.push(Buffer.from('data: a\r'))).toEqual([]);
    const events = parser.push(Buffer.from('\ndata: b\r\n\r\n'));
    expect(withData(events)).toEqual([{ event: undefined, data: 'a\nb', hasData: true, id: undefined }]);
  });

  it('decodes a UTF-8 character split across chunks', () => {
    const bytes = Buffer.from('data: {"text":"héllo 👋🏽 世界"}\n\n', 'utf8');
    const oneByteAtATime = parseChunks([...bytes].map((b) => Buffer.from([b])));
    expect(withData(oneByteAtATime)).toEqual([{ event: undefined, data: '{"text":"héllo 👋🏽 世界"}', hasData: true, id: undefined }]);
    expect(concatRaw(oneByteAtATime).equals(bytes)).toBe(true);
  });

  it('returns a last event that has no blank line after it on flush', () => {
    const parser = new SseParser();
    expect(parser.push(Buffer.from('data: first\n\ndata: {"last":true}'))).toHaveLength(1);
    const last = parser.flush();
    expect(withData(last)).toEqual([{ event: undefined, data: '{"last":true}', hasData: true, id: undefined }]);
    expect(last[0].raw.toString()).toBe('data: {"last":true}');
    expect(() => parser.push(Buffer.from('x'))).toThrow(/after flush/);
  });

  it('drops a byte-order mark at the start of the stream', () => {
    expect(withData(parseSse('\uFEFFdata: x\n\n')).map((e) => e.data)).toEqual(['x']);
  });

  it('fails cleanly when one event grows past the limit, handing back the events completed first', () => {
    const parser = new SseParser({ maxEventBytes: 64 });
    const small = 'data: ok\n\n';
    let error: unknown;
    try {
      parser.push(Buffer.from(small + `data: ${'x'.repeat(100)}`));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SseEventTooLargeError);
    expect((error as SseEventTooLargeError).limitBytes).toBe(64);
    expect((error as SseEventTooLargeError).completedEvents.map((e) => e.data)).toEqual(['ok']);
    expect(() => parser.push(Buffer.from('\n\n'))).toThrow(SseEventTooLargeError);
    expect(() => parser.flush()).toThrow(SseEventTooLargeError);
  });

  it('enforces the limit across many small chunks without holding more than it', () => {
    const parser = new SseParser({ maxEventBytes: 1024 });
    parser.push(Buffer.from('data: '));
    expect(() => {
      for (let i = 0; i < 200; i++) parser.push(Buffer.from('0123456789'));
    }).toThrow(SseEventTooLargeError);
  });

  it('accepts an event of exactly the limit', () => {
    const event = `data: ${'y'.repeat(54)}\n\n`; // 62 bytes
    expect(parseSse(event, { maxEventBytes: Buffer.byteLength(event) })).toHaveLength(1);
    expect(() => parseSse(event, { maxEventBytes: Buffer.byteLength(event) - 1 })).toThrow(SseEventTooLargeError);
  });

  it('parses a large event fed in small chunks in linear time', () => {
    const payload = 'z'.repeat(4 * 1024 * 1024);
    const bytes = Buffer.from(`data: ${payload}\n\n`);
    const started = Date.now();
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 1024) chunks.push(bytes.subarray(i, i + 1024));
    const events = parseChunks(chunks);
    expect(events[0].data.length).toBe(payload.length);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  describe('split anywhere (property)', () => {
    // A stream of blocks with every kind of line, written with random line endings.
    const value = fc.string({ unit: 'grapheme', maxLength: 12 }).map((v) => v.replace(/[\r\n]/g, ''));
    const line = fc.oneof(
      value.map((v) => `data: ${v}`),
      value.map((v) => `data:${v}`),
      fc.constantFrom('data', 'event: content_block_delta', 'event: ping', 'id: 42', 'retry: 10', ': comment', ':', 'unknown: x'),
    );
    const ending = fc.constantFrom('\n', '\r\n', '\r');
    const block = fc.array(fc.tuple(line, ending), { minLength: 0, maxLength: 5 });
    const stream = fc.tuple(fc.array(fc.tuple(block, ending), { maxLength: 8 }), fc.boolean()).map(([blocks, unterminated]) => {
      const lines: [string, string][] = [];
      for (const [content, end] of blocks) lines.push(...content, ['', end]);
      if (unterminated) lines.push(['data: tail', '']);
      // A lone \r followed by an empty line ended by \n would read as one \r\n: avoid writing it.
      for (let i = 1; i < lines.length; i++) if (lines[i - 1][1] === '\r' && lines[i][0] === '' && lines[i][1] === '\n') lines[i][1] = '\r\n';
      return lines.map(([c, e]) => c + e).join('');
    });

    it('gives the same events as the reference parser and the exact input back', () => {
      fc.assert(
        fc.property(
          stream.chain((text) => fc.tuple(fc.constant(text), splitPoints(Buffer.byteLength(text)))),
          ([text, offsets]) => {
            const bytes = Buffer.from(text, 'utf8');
            const events = parseChunks(splitAt(bytes, offsets));
            expect(concatRaw(events).equals(bytes)).toBe(true);
            expect(withData(events)).toEqual(withData(referenceParse(text)));
            // Each event's bytes, parsed alone, are that event.
            for (const e of events.filter((x) => x.hasData)) expect(withData(parseSse(e.raw))).toEqual(withData([e]));
          },
        ),
        { numRuns: 500 },
      );
    });
  });
});

/** A whole-string parser written from the WHATWG rules, independent of SseParser. */
function referenceParse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  let data: string[] = [];
  let event: string | undefined;
  let id: string | undefined;
  const lines = text.split(/\r\n|\r|\n/);
  const terminated = /[\r\n]$/.test(text);
  lines.forEach((raw, index) => {
    const last = index === lines.length - 1;
    if (last && terminated) return; // the empty string after the final line ending
    if (raw === '' && !last) {
      events.push({ data: data.join('\n'), hasData: data.length > 0, event, id, raw: Buffer.alloc(0) });
      data = [];
      event = undefined;
      id = undefined;
      return;
    }
    if (raw.startsWith(':')) return;
    const colon = raw.indexOf(':');
    const name = colon === -1 ? raw : raw.slice(0, colon);
    const value = colon === -1 ? '' : raw.slice(colon + 1).replace(/^ /, '');
    if (name === 'data') data.push(value);
    if (name === 'event') event = value;
    if (name === 'id') id = value;
  });
  if (!terminated && data.length > 0) events.push({ data: data.join('\n'), hasData: true, event, id, raw: Buffer.alloc(0) });
  return events;
}
