import fc from 'fast-check';
import { costOf } from '../pricing/cost-engine';
import { seedCard } from '../pricing/testdata/seed-table';
import { emptyUsage } from '../pricing/usage';
import { AnthropicStreamTracker } from './anthropic.stream';
import { overloadedMidStream, TEXT_PIECES, textStream, THINKING_PIECES, thinkingStream, TOOL_JSON_PIECES, toolUseStream, webSearchStream } from './testdata/anthropic-streams';
import { cut, eventEnds, splitPoints, track } from './testdata/streams';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const opus = seedCard('anthropic', 'claude-opus-4-6');

describe('AnthropicStreamTracker', () => {
  it('merges message_start (input, cache) with message_delta (final output)', () => {
    const tracker = track(new AnthropicStreamTracker(), textStream());
    const expected = { ...emptyUsage(), inputTokens: 25, cacheWriteTokens: 1500, cacheReadTokens: 12000, outputTokens: 15 };
    expect(tracker.usage()).toEqual(expected);
    expect(tracker.usageComplete()).toBe(true);
    expect(tracker.settle(99_999, { outputCapTokens: 4096 })).toEqual({ usage: expected, basis: 'reported' });
    // 25 × 500 + 1500 × 625 + 12000 × 50 + 15 × 2500
    expect(costOf(opus, tracker.finalUsageOrEstimate(0)).totalMicrocents).toBe(1_587_500n);
  });

  it('keeps the exact input of message_start and counts the output when cut before message_delta', () => {
    const stream = textStream();
    const ends = eventEnds(stream);
    const tracker = track(new AnthropicStreamTracker(), cut(stream, ends[4])); // start, block, ping, 2 deltas
    expect(tracker.usageComplete()).toBe(false);
    const streamed = bytes(TEXT_PIECES[0] + TEXT_PIECES[1]) + 2 + 8;
    expect(tracker.producedOutputEstimate()).toBe(streamed);
    expect(tracker.settle(99_999)).toEqual({
      usage: { ...emptyUsage(), inputTokens: 25, cacheWriteTokens: 1500, cacheReadTokens: 12000, outputTokens: streamed },
      basis: 'partial',
    });
  });

  it('charges message_start’s output placeholder when nothing else arrived', () => {
    const stream = textStream();
    const tracker = track(new AnthropicStreamTracker(), cut(stream, eventEnds(stream)[0]));
    expect(tracker.producedAnything()).toBe(false);
    expect(tracker.finalUsageOrEstimate(500)).toMatchObject({ inputTokens: 25, outputTokens: 1 });
  });

  it('counts tool names and input JSON, with a tool call allowance', () => {
    const tracker = track(new AnthropicStreamTracker(), toolUseStream());
    expect(tracker.usage()).toEqual({ ...emptyUsage(), inputTokens: 472, outputTokens: 89 });
    const text = bytes('Okay, let me check the weather.') + bytes('get_weather') + bytes(TOOL_JSON_PIECES.join(''));
    // 1 text delta + 4 json deltas; 2 blocks; 1 tool call
    expect(tracker.producedOutputEstimate()).toBe(text + 5 + 16 + 32);
  });

  it('charges the cap for a cut-short thinking stream, whose thinking is billed in full', () => {
    const stream = thinkingStream();
    expect(track(new AnthropicStreamTracker(), stream).usage()).toMatchObject({ inputTokens: 85, outputTokens: 1024 });
    const ends = eventEnds(stream);
    const tracker = track(new AnthropicStreamTracker(), cut(stream, ends[4])); // through the signature
    const thinking = bytes(THINKING_PIECES.join('')) + 2 + 8;
    expect(tracker.settle(200)).toEqual({ usage: { ...emptyUsage(), inputTokens: 85, outputTokens: thinking }, basis: 'partial' });
    expect(tracker.settle(200, { outputCapTokens: 16_000 })).toEqual({ usage: { ...emptyUsage(), inputTokens: 85, outputTokens: 16_000 }, basis: 'partial' });
  });

  it('reads the grown input and the searches from a web search stream’s message_delta', () => {
    const tracker = track(new AnthropicStreamTracker(), webSearchStream());
    expect(tracker.usage()).toEqual({ ...emptyUsage(), inputTokens: 10682, outputTokens: 510, webSearchCalls: 1 });
    expect(tracker.usageComplete()).toBe(true);
  });

  it('raises the input to the estimate when a server tool ran before the stream was cut', () => {
    const stream = webSearchStream();
    const ends = eventEnds(stream);
    const tracker = track(new AnthropicStreamTracker(), cut(stream, ends[9])); // through the search result block
    const settled = tracker.settle(20_000);
    expect(settled.basis).toBe('partial');
    expect(settled.usage).toMatchObject({ inputTokens: 20_000, webSearchCalls: 1 });
    // Without a server tool the partial report's input stands.
    const plain = track(new AnthropicStreamTracker(), cut(stream, ends[2]));
    expect(plain.finalUsageOrEstimate(20_000).inputTokens).toBe(2679);
  });

  it('settles a stream that ended in an error event from what it produced', () => {
    const tracker = track(new AnthropicStreamTracker(), overloadedMidStream());
    expect(tracker.settle(100)).toEqual({ usage: { ...emptyUsage(), inputTokens: 40, outputTokens: bytes('Once upon a time') + 1 + 8 }, basis: 'partial' });
  });

  it('gives the same result however the stream is split (property)', () => {
    for (const stream of [textStream(), toolUseStream(), thinkingStream(), webSearchStream()]) {
      const whole = track(new AnthropicStreamTracker(), stream);
      fc.assert(
        fc.property(splitPoints(bytes(stream)), (offsets) => {
          const split = track(new AnthropicStreamTracker(), stream, offsets);
          expect(split.usage()).toEqual(whole.usage());
          expect(split.producedOutputEstimate()).toBe(whole.producedOutputEstimate());
        }),
        { numRuns: 50 },
      );
    }
  });

  it('never charges zero output once anything was produced, wherever the stream is cut (property)', () => {
    const stream = toolUseStream();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes(stream) }), (at) => {
        const tracker = track(new AnthropicStreamTracker(), cut(stream, at));
        const usage = tracker.finalUsageOrEstimate(1000);
        if (tracker.producedAnything()) expect(usage.outputTokens).toBeGreaterThan(0);
        expect(usage.outputTokens).toBeGreaterThanOrEqual(tracker.usageComplete() ? 89 : tracker.producedOutputEstimate());
      }),
      { numRuns: 200 },
    );
  });
});
