import fc from 'fast-check';
import { emptyUsage } from '../pricing/usage';
import { GeminiStreamTracker } from './gemini.stream';
import { geminiUsage } from './gemini.usage';
import { GEMINI_PIECES, geminiFunctionCallStream, geminiTextStream, geminiThinkingGroundedStream } from './testdata/gemini-streams';
import { cut, eventEnds, splitPoints, sse, track } from './testdata/streams';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('GeminiStreamTracker', () => {
  it('keeps the last cumulative usageMetadata; final once the candidate has a finishReason', () => {
    const tracker = track(new GeminiStreamTracker(), geminiTextStream());
    expect(tracker.usage()).toEqual({ ...emptyUsage(), inputTokens: 8, outputTokens: 21 });
    expect(tracker.usageComplete()).toBe(true);
    expect(tracker.settle(64).basis).toBe('reported');
  });

  it('counts the streamed text when cut before the last chunk, whose usage alone has the output', () => {
    const stream = geminiTextStream();
    const tracker = track(new GeminiStreamTracker(), cut(stream, eventEnds(stream)[1]));
    expect(tracker.usage()).toEqual({ ...emptyUsage(), inputTokens: 8 });
    expect(tracker.usageComplete()).toBe(false);
    const streamed = bytes(GEMINI_PIECES[0] + GEMINI_PIECES[1]) + 2 + 8;
    expect(tracker.settle(64)).toEqual({ usage: { ...emptyUsage(), inputTokens: 8, outputTokens: streamed }, basis: 'partial' });
  });

  it('reads cache, tool-use prompt, thinking and grounding from a grounded thinking stream', () => {
    const stream = geminiThinkingGroundedStream();
    const tracker = track(new GeminiStreamTracker(), stream);
    const expected = { ...emptyUsage(), inputTokens: 2150 - 2048 + 44, cachedInputTokens: 2048, outputTokens: 24, reasoningTokens: 180, groundingQueries: 2 };
    expect(tracker.usage()).toEqual(expected);
    expect(tracker.settle(10_000, { outputCapTokens: 8192 })).toEqual({ usage: expected, basis: 'reported' });
  });

  it('charges the cap (less the reported thinking) for a cut-short stream that showed thought summaries', () => {
    const stream = geminiThinkingGroundedStream();
    const tracker = track(new GeminiStreamTracker(), cut(stream, eventEnds(stream)[1]));
    const partial = tracker.settle(10_000, { outputCapTokens: 8192 });
    expect(partial.basis).toBe('partial');
    expect(partial.usage).toEqual({ ...emptyUsage(), inputTokens: 102, cachedInputTokens: 2048, outputTokens: 8192 - 180, reasoningTokens: 180 });
    const uncapped = tracker.settle(10_000).usage;
    expect(uncapped.outputTokens).toBe(tracker.producedOutputEstimate());
  });

  it('counts a function call’s name and arguments', () => {
    const tracker = track(new GeminiStreamTracker(), geminiFunctionCallStream());
    expect(tracker.usage()).toEqual({ ...emptyUsage(), inputTokens: 112, outputTokens: 31 });
    const args = JSON.stringify({ attendees: ['Bob', 'Alice'], date: '2025-03-27', time: '10:00', topic: 'Q3 planning' });
    expect(tracker.producedOutputEstimate()).toBe(bytes('schedule_meeting') + bytes(args) + 1 + 8 + 32);
  });

  it('is not final while another candidate is still streaming', () => {
    const stream = sse([
      {
        data: {
          candidates: [
            { content: { parts: [{ text: 'A' }], role: 'model' }, finishReason: 'STOP', index: 0 },
            { content: { parts: [{ text: 'B, and more' }], role: 'model' }, index: 1 },
          ],
          usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 2, totalTokenCount: 7 },
        },
      },
    ]);
    const tracker = track(new GeminiStreamTracker(), stream);
    expect(tracker.usageComplete()).toBe(false);
    expect(tracker.settle(50).usage.outputTokens).toBe(1 + 11 + 2 + 16);
  });

  it('settles a blocked prompt (no candidates) at its reported input', () => {
    const tracker = track(new GeminiStreamTracker(), sse([{ data: { promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 7, totalTokenCount: 7 } } }]));
    expect(tracker.producedAnything()).toBe(false);
    expect(tracker.settle(300)).toEqual({ usage: { ...emptyUsage(), inputTokens: 7 }, basis: 'reported' });
  });

  it('counts grounding that arrives after the last usage report', () => {
    const stream = sse([
      { data: { candidates: [{ content: { parts: [{ text: 'x' }] }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1 } } },
      { data: { candidates: [{ index: 0, groundingMetadata: { webSearchQueries: ['q'] } }] } },
    ]);
    expect(track(new GeminiStreamTracker(), stream).usage()?.groundingQueries).toBe(1);
  });

  it('agrees with geminiUsage on the final chunk of a non-cumulative answer', () => {
    const last = JSON.parse(geminiFunctionCallStream().slice('data: '.length).trim());
    expect(track(new GeminiStreamTracker(), geminiFunctionCallStream()).usage()).toEqual(geminiUsage(last));
  });

  it('gives the same result however the stream is split (property)', () => {
    for (const stream of [geminiTextStream(), geminiThinkingGroundedStream(), geminiFunctionCallStream()]) {
      const whole = track(new GeminiStreamTracker(), stream);
      fc.assert(
        fc.property(splitPoints(bytes(stream)), (offsets) => {
          const split = track(new GeminiStreamTracker(), stream, offsets);
          expect(split.usage()).toEqual(whole.usage());
          expect(split.usageComplete()).toBe(whole.usageComplete());
          expect(split.producedOutputEstimate()).toBe(whole.producedOutputEstimate());
        }),
        { numRuns: 50 },
      );
    }
  });

  it('never charges zero output once anything was produced, wherever the stream is cut (property)', () => {
    const stream = geminiTextStream();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes(stream) }), (at) => {
        const tracker = track(new GeminiStreamTracker(), cut(stream, at));
        const usage = tracker.finalUsageOrEstimate(100);
        if (tracker.producedAnything()) expect(usage.outputTokens).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });
});
