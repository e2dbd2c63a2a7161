import fc from 'fast-check';
import { GeminiStreamTracker } from './gemini.stream';
import { JsonArrayStreamError, JsonArrayStreamParser, JsonElementTooLargeError } from './json-array-stream';
import { parseSse } from './sse';
import { geminiThinkingGroundedStream } from './testdata/gemini-streams';
import { splitAt, splitPoints, track } from './testdata/streams';

/** The same answers Gemini streams as SSE, in its JSON-array framing (no alt=sse). */
function asJsonArray(sseStream: string): string {
  const elements = parseSse(sseStream).map((e) => JSON.stringify(JSON.parse(e.data), null, 2));
  return `[${elements.join(',\r\n')}]`;
}

function readAll(bytes: Buffer, offsets: number[] = []): { elements: string[]; complete: boolean } {
  const parser = new JsonArrayStreamParser();
  const elements = splitAt(bytes, offsets).flatMap((chunk) => parser.push(chunk));
  return { elements, complete: parser.complete };
}

describe('JsonArrayStreamParser', () => {
  it('returns each element of a streamed array as soon as it is complete', () => {
    const parser = new JsonArrayStreamParser();
    expect(parser.push(Buffer.from('[{"a":"}],{\\"x"'))).toEqual([]);
    expect(parser.push(Buffer.from(',"b":[1,{"c":2}]}\r\n,'))).toEqual(['{"a":"}],{\\"x","b":[1,{"c":2}]}']);
    expect(parser.push(Buffer.from('{"d":"é"}]'))).toEqual(['{"d":"é"}']);
    expect(parser.complete).toBe(true);
  });

  it('reads the elements of a Gemini answer however it is split, and feeds the tracker the same usage (property)', () => {
    const sseStream = geminiThinkingGroundedStream();
    const bytes = Buffer.from(asJsonArray(sseStream), 'utf8');
    const viaSse = track(new GeminiStreamTracker(), sseStream);
    fc.assert(
      fc.property(splitPoints(bytes.length), (offsets) => {
        const { elements, complete } = readAll(bytes, offsets);
        expect(complete).toBe(true);
        expect(elements.map((e) => JSON.parse(e))).toEqual(parseSse(sseStream).map((e) => JSON.parse(e.data)));
        const tracker = new GeminiStreamTracker();
        for (const element of elements) tracker.onData(element);
        expect(tracker.usage()).toEqual(viaSse.usage());
        expect(tracker.producedOutputEstimate()).toBe(viaSse.producedOutputEstimate());
      }),
      { numRuns: 100 },
    );
  });

  it('handles a multi-byte character split across chunks', () => {
    const bytes = Buffer.from('[{"text":"世界 👋"}]', 'utf8');
    expect(readAll(bytes, [...bytes.keys()]).elements).toEqual(['{"text":"世界 👋"}']);
  });

  it('is not complete when the stream is cut short', () => {
    const { elements, complete } = readAll(Buffer.from('[{"a":1},{"b":'));
    expect(elements).toEqual(['{"a":1}']);
    expect(complete).toBe(false);
  });

  it('refuses what is not a streamed array of objects', () => {
    expect(() => new JsonArrayStreamParser().push(Buffer.from('{"a":1}'))).toThrow(JsonArrayStreamError);
    expect(() => new JsonArrayStreamParser().push(Buffer.from('[1,2]'))).toThrow(JsonArrayStreamError);
    expect(() => new JsonArrayStreamParser().push(Buffer.from('[{}] x'))).toThrow(JsonArrayStreamError);
  });

  it('fails cleanly past the element size limit', () => {
    const parser = new JsonArrayStreamParser(32);
    expect(() => parser.push(Buffer.from(`[{"t":"${'x'.repeat(40)}`))).toThrow(JsonElementTooLargeError);
    expect(() => new JsonArrayStreamParser(32).push(Buffer.from(`[{"t":"${'x'.repeat(40)}"}]`))).toThrow(JsonElementTooLargeError);
  });
});
