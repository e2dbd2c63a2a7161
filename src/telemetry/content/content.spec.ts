import { createHash } from 'node:crypto';
import type { MeteredRequest } from '../../proxy/metered-request';
import { TEXT_PIECES, textStream, thinkingStream } from '../../providers/testdata/anthropic-streams';
import { GEMINI_PIECES, geminiTextStream, geminiThinkingGroundedStream } from '../../providers/testdata/gemini-streams';
import { CHAT_TEXT_PIECES, chatStream, RESPONSES_COMPLETED, RESPONSES_TEXT, responsesStream } from '../../providers/testdata/openai-streams';
import { parseChunks, splitAt } from '../../providers/testdata/streams';
import { StreamedCompletion } from '../call-record';
import { contentAdapter, promptText } from './content';

const sha384 = (text: string) => createHash('sha384').update(text, 'utf8').digest('hex');

function streamed(m: Partial<MeteredRequest>, stream: string, capture = true) {
  const completion = new StreamedCompletion(m as MeteredRequest, capture);
  // Split everywhere, as chunks arrive: events are whole by the time they are read.
  const bytes = Buffer.from(stream, 'utf8');
  for (const event of parseChunks(splitAt(bytes, [...Array(bytes.length).keys()].filter((i) => i % 7 === 0)))) completion.read(event);
  return completion.result();
}

describe('prompt text', () => {
  it('OpenAI chat: every message, string or text parts; images carry no text', () => {
    const prompt = contentAdapter('openai').prompt('chat.completions', {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:…' } }, { type: 'text', text: 'And that?' }] },
      ],
    });
    expect(prompt).toEqual({ system: [], messages: [{ role: 'system', text: 'Be brief.' }, { role: 'user', text: 'What is this?\nAnd that?' }] });
    expect(promptText(prompt)).toBe('Be brief.\nWhat is this?\nAnd that?');
  });

  it('OpenAI Responses: instructions apart, input as a string or as items (items without a role skipped)', () => {
    const adapter = contentAdapter('grok');
    expect(adapter.prompt('responses', { instructions: 'Be brief.', input: 'Hi' })).toEqual({ system: ['Be brief.'], messages: [{ role: 'user', text: 'Hi' }] });
    expect(
      adapter.prompt('responses', {
        input: [{ role: 'user', content: [{ type: 'input_text', text: 'Weather?' }] }, { type: 'function_call_output', call_id: 'c', output: '{}' }],
      }),
    ).toEqual({ system: [], messages: [{ role: 'user', text: 'Weather?' }] });
  });

  it('Anthropic: system as a string or blocks, then the messages', () => {
    const prompt = contentAdapter('anthropic').prompt('messages', {
      system: [{ type: 'text', text: 'You are terse.' }],
      messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: [{ type: 'text', text: 'Hello' }] }],
    });
    expect(promptText(prompt)).toBe('You are terse.\nHi\nHello');
  });

  it("Gemini: systemInstruction apart, 'model' turns as assistant, and the seed's {prompt} body", () => {
    const adapter = contentAdapter('gemini');
    expect(
      adapter.prompt('generateContent', {
        systemInstruction: { parts: [{ text: 'Be brief.' }] },
        contents: [{ role: 'user', parts: [{ text: 'Hi' }] }, { role: 'model', parts: [{ text: 'Hello', thought: false }, { text: 'hmm', thought: true }] }],
      }),
    ).toEqual({ system: ['Be brief.'], messages: [{ role: 'user', text: 'Hi' }, { role: 'assistant', text: 'Hello' }] });
    expect(adapter.prompt('generateContent', { model: 'gemini-2.5-flash', prompt: 'Hi there' })).toEqual({ system: [], messages: [{ role: 'user', text: 'Hi there' }] });
  });

  it('embeddings: each input string', () => {
    expect(contentAdapter('openai').prompt('embeddings', { input: ['a', 'b'] }).messages).toEqual([{ role: 'user', text: 'a' }, { role: 'user', text: 'b' }]);
  });
});

describe('whole answers', () => {
  it('OpenAI chat: the first choice, every finish reason', () => {
    const answer = contentAdapter('openai').answer('chat.completions', {
      id: 'chatcmpl-1',
      model: 'gpt-4o-mini-2024-07-18',
      choices: [
        { index: 1, message: { role: 'assistant', content: 'second' }, finish_reason: 'length' },
        { index: 0, message: { role: 'assistant', content: 'first' }, finish_reason: 'stop' },
      ],
    });
    expect(answer).toEqual({ text: 'first', finishReasons: ['length', 'stop'], responseModel: 'gpt-4o-mini-2024-07-18', responseId: 'chatcmpl-1' });
  });

  it('OpenAI Responses: the message items’ output text, not the reasoning summary', () => {
    const answer = contentAdapter('openai').answer('responses', RESPONSES_COMPLETED as Record<string, unknown>);
    expect(answer.text).toBe(RESPONSES_TEXT);
    expect(answer.finishReasons).toEqual(['completed']);
  });

  it('Anthropic: the text blocks, not thinking or tool use', () => {
    const answer = contentAdapter('anthropic').answer('messages', {
      id: 'msg_1',
      model: 'claude-opus-4-6',
      stop_reason: 'tool_use',
      content: [
        { type: 'thinking', thinking: 'let me see' },
        { type: 'text', text: 'Checking. ' },
        { type: 'tool_use', id: 't', name: 'get_weather', input: {} },
        { type: 'text', text: 'Done.' },
      ],
    });
    expect(answer).toEqual({ text: 'Checking. Done.', finishReasons: ['tool_use'], responseModel: 'claude-opus-4-6', responseId: 'msg_1' });
  });

  it('Gemini: the first candidate’s parts, thoughts left out', () => {
    const answer = contentAdapter('gemini').answer('generateContent', {
      candidates: [{ index: 0, finishReason: 'STOP', content: { role: 'model', parts: [{ text: 'thinking…', thought: true }, { text: 'Blue.' }] } }],
      modelVersion: 'gemini-2.5-flash',
      responseId: 'r-1',
    });
    expect(answer).toEqual({ text: 'Blue.', finishReasons: ['STOP'], responseModel: 'gemini-2.5-flash', responseId: 'r-1' });
  });
});

describe('streamed answers: hashed as relayed, equal to the whole text', () => {
  it('OpenAI chat', () => {
    const result = streamed({ provider: 'openai', operation: 'chat.completions' }, chatStream(true));
    const text = CHAT_TEXT_PIECES.join('');
    expect(result).toMatchObject({ text, sha384: sha384(text), finishReasons: ['stop'] });
    expect(result.responseModel).toBeDefined();
  });

  it('OpenAI Responses: output text deltas only, the terminal response for the facts', () => {
    const result = streamed({ provider: 'openai', operation: 'responses' }, responsesStream('response.incomplete'));
    expect(result).toMatchObject({ text: RESPONSES_TEXT, sha384: sha384(RESPONSES_TEXT), finishReasons: ['max_output_tokens'] });
  });

  it('Anthropic: text deltas, not thinking', () => {
    expect(streamed({ provider: 'anthropic', operation: 'messages' }, textStream())).toMatchObject({ text: TEXT_PIECES.join(''), finishReasons: ['end_turn'] });
    expect(streamed({ provider: 'anthropic', operation: 'messages' }, thinkingStream()).text).toBe('The greatest common divisor of 1071 and 462 is **21**.');
  });

  it('Gemini: each chunk’s first candidate, thoughts left out, the last finish reason', () => {
    expect(streamed({ provider: 'gemini', operation: 'generateContent' }, geminiTextStream())).toMatchObject({
      text: GEMINI_PIECES.join(''),
      finishReasons: ['STOP'],
      responseModel: 'gemini-2.5-flash',
    });
    expect(streamed({ provider: 'gemini', operation: 'generateContent' }, geminiThinkingGroundedStream()).text).toBe('Spain won Euro 2024, beating England 2–1 in the final.');
  });

  it('keeps no text when capture is off, yet hashes all of it', () => {
    const result = streamed({ provider: 'anthropic', operation: 'messages' }, textStream(), false);
    expect(result.text).toBeUndefined();
    expect(result.sha384).toBe(sha384(TEXT_PIECES.join('')));
  });
});
