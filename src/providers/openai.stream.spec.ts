import fc from 'fast-check';
import { countTokens as o200kCount } from 'gpt-tokenizer/cjs/encoding/o200k_base';
import { costOf } from '../pricing/cost-engine';
import { seedCard } from '../pricing/testdata/seed-table';
import { emptyUsage } from '../pricing/usage';
import { openAiChatRelayFilter, OpenAiChatStreamTracker, OpenAiResponsesStreamTracker, prepareOpenAiStreamRequest } from './openai.stream';
import { openAiChatUsage, openAiResponsesUsage } from './openai.usage';
import { parseSse, type SseEvent } from './sse';
import {
  CHAT_TEXT_PIECES,
  CHAT_USAGE,
  chatStream,
  chatToolCallStream,
  grokStream,
  RESPONSES_COMPLETED,
  RESPONSES_SUMMARY,
  RESPONSES_TEXT,
  responsesStream,
  TOOL_ARGUMENT_PIECES,
} from './testdata/openai-streams';
import { cut, eventEnds, parseChunks, splitAt, splitPoints, sse, track } from './testdata/streams';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('OpenAiChatStreamTracker', () => {
  it('reads the usage chunk that ends an include_usage stream', () => {
    const tracker = track(new OpenAiChatStreamTracker('openai'), chatStream(true));
    const expected = openAiChatUsage({ usage: CHAT_USAGE })!;
    expect(tracker.usage()).toEqual(expected);
    expect(tracker.usageComplete()).toBe(true);
    expect(tracker.settle(500)).toEqual({ usage: expected, basis: 'reported' });
    // 19 × 15 + 10 × 60 at gpt-4o-mini's seed rates.
    expect(costOf(seedCard('openai', 'gpt-4o-mini'), tracker.finalUsageOrEstimate(500)).totalMicrocents).toBe(885n);
  });

  it('counts the streamed text when the stream is cut before the usage chunk', () => {
    const stream = chatStream(true);
    const afterFourPieces = eventEnds(stream)[4]; // role chunk + 4 text pieces
    const tracker = track(new OpenAiChatStreamTracker('openai'), cut(stream, afterFourPieces));
    expect(tracker.usage()).toBeUndefined();
    expect(tracker.producedAnything()).toBe(true);
    const text = CHAT_TEXT_PIECES.slice(0, 4).join('');
    // bytes of the text + 1 per delta + 8 for the choice
    expect(tracker.producedOutputEstimate()).toBe(bytes(text) + 4 + 8);
    expect(tracker.producedOutputEstimate()).toBeGreaterThanOrEqual(o200kCount(text));
    expect(tracker.settle(57)).toEqual({ usage: { ...emptyUsage(), inputTokens: 57, outputTokens: bytes(text) + 12 }, basis: 'estimated' });
  });

  it('charges nothing for output when the stream ends before any chunk, but still the input', () => {
    const tracker = new OpenAiChatStreamTracker('openai');
    expect(tracker.producedAnything()).toBe(false);
    expect(tracker.finalUsageOrEstimate(40)).toEqual({ ...emptyUsage(), inputTokens: 40 });
  });

  it('counts tool call names and argument fragments, with a tool call allowance', () => {
    const tracker = track(new OpenAiChatStreamTracker('openai'), chatToolCallStream());
    expect(tracker.usage()).toMatchObject({ inputTokens: 81, outputTokens: 17 });
    const args = TOOL_ARGUMENT_PIECES.join('');
    // name + args bytes; 7 deltas; one choice; one tool call
    expect(tracker.producedOutputEstimate()).toBe(bytes('get_weather') + bytes(args) + 7 + 8 + 32);
    expect(tracker.producedOutputEstimate()).toBeGreaterThanOrEqual(17);
  });

  it('counts every choice of an n > 1 stream', () => {
    const base = { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', usage: null };
    const stream = sse([
      { data: { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' } }, { index: 1, delta: { role: 'assistant', content: '' } }] } },
      { data: { ...base, choices: [{ index: 0, delta: { content: 'Yes' } }] } },
      { data: { ...base, choices: [{ index: 1, delta: { content: 'No' } }] } },
    ]);
    expect(track(new OpenAiChatStreamTracker(), stream).producedOutputEstimate()).toBe(3 + 2 + 2 + 16);
  });

  it('reads xAI’s usage on the finish chunk and its reasoning_content', () => {
    const tracker = track(new OpenAiChatStreamTracker('grok'), grokStream());
    // grok-3-mini reports reasoning outside completion_tokens (total = 12 + 4 + 10).
    expect(tracker.usage()).toEqual({ ...emptyUsage(), inputTokens: 12, outputTokens: 4, reasoningTokens: 10 });
    expect(tracker.usageComplete()).toBe(true);
    const streamed = 'The user greets me. Reply politely.Hi there! 😊';
    expect(tracker.producedOutputEstimate()).toBe(bytes(streamed) + 4 + 8);
  });

  it('treats usage followed by more content as partial', () => {
    const base = { object: 'chat.completion.chunk', model: 'grok-4' };
    const stream = sse([
      { data: { ...base, choices: [{ index: 0, delta: { content: 'abc' } }], usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } } },
      { data: { ...base, choices: [{ index: 0, delta: { content: 'defgh' } }] } },
    ]);
    const tracker = track(new OpenAiChatStreamTracker('grok'), stream);
    expect(tracker.usageComplete()).toBe(false);
    expect(tracker.settle(100)).toEqual({ usage: { ...emptyUsage(), inputTokens: 5, outputTokens: 3 + 5 + 2 + 8 }, basis: 'partial' });
  });

  it('bounds the estimate by the output cap, and charges the cap for unseen reasoning', () => {
    const stream = chatStream(false);
    const tracker = track(new OpenAiChatStreamTracker('openai'), stream);
    const estimate = tracker.producedOutputEstimate();
    expect(tracker.finalUsageOrEstimate(10, { outputCapTokens: 20 }).outputTokens).toBe(20);
    expect(tracker.finalUsageOrEstimate(10, { outputCapTokens: 1000 }).outputTokens).toBe(estimate);
    expect(tracker.finalUsageOrEstimate(10, { outputCapTokens: 1000, hiddenReasoning: true }).outputTokens).toBe(1000);
  });

  it('counts audio transcripts as text and audio data as base64 ÷ 16', () => {
    const stream = sse([{ data: { object: 'chat.completion.chunk', choices: [{ index: 0, delta: { audio: { id: 'audio_1', transcript: 'Hi', data: 'A'.repeat(320) } } }] } }]);
    expect(track(new OpenAiChatStreamTracker(), stream).producedOutputEstimate()).toBe(2 + 20 + 1 + 8);
  });

  it('ignores [DONE], error payloads and non-JSON data', () => {
    const tracker = track(new OpenAiChatStreamTracker(), 'data: [DONE]\n\ndata: {"error":{"message":"overloaded"}}\n\ndata: not json\n\n');
    expect(tracker.producedAnything()).toBe(false);
    expect(tracker.usage()).toBeUndefined();
  });

  it('gives the same result however the stream is split (property)', () => {
    for (const stream of [chatStream(true), chatToolCallStream(), grokStream()]) {
      const whole = track(new OpenAiChatStreamTracker('grok'), stream);
      fc.assert(
        fc.property(splitPoints(bytes(stream)), (offsets) => {
          const split = track(new OpenAiChatStreamTracker('grok'), stream, offsets);
          expect(split.usage()).toEqual(whole.usage());
          expect(split.producedOutputEstimate()).toBe(whole.producedOutputEstimate());
        }),
        { numRuns: 100 },
      );
    }
  });

  it('never charges less output than the tokens streamed, wherever the stream is cut (property)', () => {
    const stream = chatStream(false);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes(stream) }), (at) => {
        const prefix = cut(stream, at);
        const tracker = track(new OpenAiChatStreamTracker('openai'), prefix);
        const streamed = streamedChatText(prefix);
        const charged = tracker.finalUsageOrEstimate(0).outputTokens;
        expect(charged).toBeGreaterThanOrEqual(o200kCount(streamed));
        if (tracker.producedAnything()) expect(charged).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });
});

/** The chat text in the complete events of a (possibly cut) stream. */
function streamedChatText(stream: Buffer): string {
  return parseChunks([stream])
    .filter((e) => e.hasData && e.data !== '[DONE]')
    .map((e) => {
      try {
        return (JSON.parse(e.data).choices ?? []).map((c: { delta?: { content?: string } }) => c.delta?.content ?? '').join('');
      } catch {
        return ''; // the cut-off last event
      }
    })
    .join('');
}

describe('OpenAiResponsesStreamTracker', () => {
  it('reads response.completed: usage, reasoning and the web search call', () => {
    const tracker = track(new OpenAiResponsesStreamTracker('openai'), responsesStream());
    const expected = openAiResponsesUsage(RESPONSES_COMPLETED)!;
    expect(expected).toEqual({ ...emptyUsage(), inputTokens: 5725, cachedInputTokens: 4096, outputTokens: 156, reasoningTokens: 256, webSearchCalls: 1 });
    expect(tracker.usage()).toEqual(expected);
    expect(tracker.settle(20_000, { outputCapTokens: 2048 })).toEqual({ usage: expected, basis: 'reported' });
  });

  it('reads response.incomplete the same way', () => {
    const tracker = track(new OpenAiResponsesStreamTracker('openai'), responsesStream('response.incomplete'));
    expect(tracker.usageComplete()).toBe(true);
    expect(tracker.usage()?.outputTokens).toBe(156);
  });

  it('counts summary, search query and text once each, deltas and finished items alike', () => {
    const tracker = track(new OpenAiResponsesStreamTracker('openai'), responsesStream());
    const text = bytes(RESPONSES_SUMMARY) + bytes('weather Paris today') + bytes(RESPONSES_TEXT);
    // 2 summary deltas + 9 text deltas; 3 items; the web search call is a tool call.
    expect(tracker.producedOutputEstimate()).toBe(text + 11 + 3 * 8 + 32);
  });

  it('charges a stream cut after the search: the call, the text so far, and the cap for hidden reasoning', () => {
    const stream = responsesStream();
    const ends = eventEnds(stream);
    const afterSearch = ends[13]; // through the web_search_call's output_item.done
    const tracker = track(new OpenAiResponsesStreamTracker('openai'), cut(stream, afterSearch));
    expect(tracker.usage()).toBeUndefined();
    const withoutCap = tracker.settle(9000);
    expect(withoutCap.basis).toBe('estimated');
    expect(withoutCap.usage).toMatchObject({ inputTokens: 9000, webSearchCalls: 1 });
    expect(withoutCap.usage.outputTokens).toBe(bytes(RESPONSES_SUMMARY) + bytes('weather Paris today') + 2 + 2 * 8 + 32);
    // The reasoning item shows only a summary: with the cap known, the cap is charged.
    expect(tracker.finalUsageOrEstimate(9000, { outputCapTokens: 2048 }).outputTokens).toBe(2048);
  });

  it('counts an item that arrives whole, without deltas', () => {
    const stream = sse([
      { event: 'response.output_item.added', data: { type: 'response.output_item.added', output_index: 0, item: { id: 'fc_1', type: 'function_call', name: 'get_weather', arguments: '', call_id: 'call_1' } } },
      { event: 'response.output_item.done', data: { type: 'response.output_item.done', output_index: 0, item: { id: 'fc_1', type: 'function_call', name: 'get_weather', arguments: '{"city":"Paris"}', call_id: 'call_1' } } },
    ]);
    const tracker = track(new OpenAiResponsesStreamTracker('openai'), stream);
    expect(tracker.producedOutputEstimate()).toBe(bytes('get_weather') + bytes('{"city":"Paris"}') + 8 + 32);
  });

  it('counts function call arguments streamed as deltas once', () => {
    const item = { id: 'fc_1', type: 'function_call', name: 'f', call_id: 'c' };
    const stream = sse([
      { event: 'response.output_item.added', data: { type: 'response.output_item.added', output_index: 0, item: { ...item, arguments: '' } } },
      { event: 'response.function_call_arguments.delta', data: { type: 'response.function_call_arguments.delta', item_id: 'fc_1', output_index: 0, delta: '{"a":' } },
      { event: 'response.function_call_arguments.delta', data: { type: 'response.function_call_arguments.delta', item_id: 'fc_1', output_index: 0, delta: '1}' } },
      { event: 'response.function_call_arguments.done', data: { type: 'response.function_call_arguments.done', item_id: 'fc_1', output_index: 0, arguments: '{"a":1}' } },
      { event: 'response.output_item.done', data: { type: 'response.output_item.done', output_index: 0, item: { ...item, arguments: '{"a":1}' } } },
    ]);
    expect(track(new OpenAiResponsesStreamTracker('openai'), stream).producedOutputEstimate()).toBe(1 + 7 + 2 + 8 + 32);
  });

  it('falls back to the count when response.failed carries no usage', () => {
    const stream = sse([
      { event: 'response.output_text.delta', data: { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 0, delta: 'Partial' } },
      { event: 'response.failed', data: { type: 'response.failed', response: { id: 'resp_1', status: 'failed', error: { code: 'server_error', message: 'x' }, output: [], usage: null } } },
    ]);
    const tracker = track(new OpenAiResponsesStreamTracker('openai'), stream);
    expect(tracker.settle(30)).toEqual({ usage: { ...emptyUsage(), inputTokens: 30, outputTokens: 7 + 1 }, basis: 'estimated' });
  });

  it('gives the same result however the stream is split (property)', () => {
    const stream = responsesStream();
    const whole = track(new OpenAiResponsesStreamTracker('openai'), stream);
    fc.assert(
      fc.property(splitPoints(bytes(stream)), (offsets) => {
        const split = track(new OpenAiResponsesStreamTracker('openai'), stream, offsets);
        expect(split.usage()).toEqual(whole.usage());
        expect(split.producedOutputEstimate()).toBe(whole.producedOutputEstimate());
      }),
      { numRuns: 100 },
    );
  });

  it('never charges zero output for a stream that produced something, wherever it is cut (property)', () => {
    const stream = responsesStream();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes(stream) }), (at) => {
        const tracker = track(new OpenAiResponsesStreamTracker('openai'), cut(stream, at));
        const usage = tracker.finalUsageOrEstimate(100);
        if (tracker.producedAnything()) expect(usage.outputTokens + usage.reasoningTokens).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });
});

describe('prepareOpenAiStreamRequest', () => {
  const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], stream: true, temperature: 0.2 };

  it('adds stream_options.include_usage last and keeps everything else as it was', () => {
    const snapshot = JSON.stringify(body);
    const prepared = prepareOpenAiStreamRequest(body);
    expect(prepared.clientAskedForUsage).toBe(false);
    expect(JSON.stringify(prepared.body)).toBe(snapshot.slice(0, -1) + ',"stream_options":{"include_usage":true}}');
    expect(JSON.stringify(body)).toBe(snapshot); // the client's object is untouched
  });

  it('sets include_usage in place when the client sent stream_options, keeping its other options', () => {
    const withOptions = { model: 'gpt-4o', stream: true, stream_options: { include_obfuscation: false, include_usage: false }, n: 2 };
    const prepared = prepareOpenAiStreamRequest(withOptions);
    expect(prepared.clientAskedForUsage).toBe(false);
    expect(JSON.stringify(prepared.body)).toBe('{"model":"gpt-4o","stream":true,"stream_options":{"include_obfuscation":false,"include_usage":true},"n":2}');
    expect(withOptions.stream_options.include_usage).toBe(false);
  });

  it('leaves the body alone when the client asked for usage itself', () => {
    const asked = { ...body, stream_options: { include_usage: true } };
    expect(prepareOpenAiStreamRequest(asked)).toEqual({ body: asked, clientAskedForUsage: true });
  });

  it('leaves a request that does not stream alone', () => {
    const plain = { model: 'gpt-4o-mini', messages: [] };
    expect(prepareOpenAiStreamRequest(plain)).toEqual({ body: plain, clientAskedForUsage: false });
    expect(prepareOpenAiStreamRequest({ ...plain, stream: false }).body).toEqual({ ...plain, stream: false });
  });

  it('replaces a null stream_options', () => {
    expect(prepareOpenAiStreamRequest({ stream: true, stream_options: null }).body).toEqual({ stream: true, stream_options: { include_usage: true } });
  });
});

describe('openAiChatRelayFilter', () => {
  const relay = (stream: string | Buffer, clientAskedForUsage: boolean, offsets: number[] = []) => {
    const filter = openAiChatRelayFilter(clientAskedForUsage);
    const input = typeof stream === 'string' ? Buffer.from(stream) : stream;
    return Buffer.concat(parseChunks(splitAt(input, offsets)).map(filter).filter((b): b is Buffer => b !== null));
  };

  it('hides the usage chunk from a client that did not ask for it, relaying the rest byte for byte', () => {
    const stream = chatStream(true);
    const events = parseSse(stream);
    const usageChunk = events.find((e) => e.data.includes('"choices":[]'))!;
    expect(relay(stream, false).toString()).toBe(stream.replace(usageChunk.raw.toString(), ''));
    // What the client gets parses to the chunks it would have had without include_usage, with
    // `"usage": null` on each (left in place; see openAiChatRelayFilter).
    const relayed = parseSse(relay(stream, false)).map((e) => (e.data === '[DONE]' ? e.data : JSON.parse(e.data)));
    const plain = parseSse(chatStream(false)).map((e) => (e.data === '[DONE]' ? e.data : JSON.parse(e.data)));
    expect(relayed).toEqual(plain.map((c) => (typeof c === 'string' ? c : { ...c, usage: null })));
  });

  it('relays everything unchanged to a client that asked for usage', () => {
    const stream = chatStream(true);
    expect(relay(stream, true).toString()).toBe(stream);
  });

  it('relays the same bytes however the upstream stream is split (property)', () => {
    const stream = chatStream(true);
    const expected = relay(stream, false);
    fc.assert(
      fc.property(splitPoints(bytes(stream)), (offsets) => {
        expect(relay(stream, false, offsets).equals(expected)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('nulls xAI’s usage on a chunk that also carries choices, keeping numbers and key order', () => {
    const stream = grokStream();
    const events = parseSse(stream);
    const out = parseSse(relay(stream, false));
    expect(out).toHaveLength(events.length); // nothing dropped: the trailing empty chunk has no usage
    const finish = events.findIndex((e) => e.data.includes('"finish_reason":"stop"'));
    const original = JSON.parse(events[finish].data);
    expect(out[finish].data).toBe(JSON.stringify({ ...original, usage: null }));
    expect(out[finish].raw.toString()).toBe(`data: ${JSON.stringify({ ...original, usage: null })}\n\n`);
    for (const [i, e] of events.entries()) if (i !== finish) expect(out[i].raw.equals(e.raw)).toBe(true);
  });

  it('keeps number tokens exactly when it rewrites a chunk', () => {
    const data = '{"id":"x","created":1741569952,"choices":[{"index":0,"delta":{"content":"a"},"logprobs":{"content":[{"token":"a","logprob":-1.0e-7,"bytes":[97]}]}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}';
    const [event] = parseSse(`event: chunk\r\ndata: ${data}\r\n\r\n`);
    const out = openAiChatRelayFilter(false)(event)!.toString();
    expect(out).toBe(`event: chunk\r\ndata: ${data.replace(/"usage":\{.*\}\}$/, '"usage":null}')}\r\n\r\n`);
  });

  it('relays comments, [DONE] and unparseable data unchanged', () => {
    const filter = openAiChatRelayFilter(false);
    for (const text of [': ping\n\n', 'data: [DONE]\n\n', 'data: {"usage": oops\n\n']) {
      const [event] = parseSse(text);
      expect(filter(event as SseEvent)!.toString()).toBe(text);
    }
  });

  it('finds the usage chunk however its JSON is spaced, and only parses chunks that may carry one', () => {
    const filter = openAiChatRelayFilter(false);
    for (const text of ['data: {"choices":[],"usage" : {"prompt_tokens":1}}\n\n', 'data: {"choices": [], "usage":\t {"total_tokens": 2}}\n\n']) {
      const [event] = parseSse(text);
      expect(filter(event as SseEvent)).toBeNull();
    }
    const parse = jest.spyOn(JSON, 'parse');
    try {
      const [plain] = parseSse('data: {"choices":[{"delta":{"content":"the usage: {}"}}],"usage":null}\n\n');
      expect(filter(plain as SseEvent)!.toString()).toContain('"usage":null');
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });
});
