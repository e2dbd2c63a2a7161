import fc from 'fast-check';
import { countTokens as cl100kCount } from 'gpt-tokenizer/cjs/encoding/cl100k_base';
import { countTokens as o200kCount } from 'gpt-tokenizer/cjs/encoding/o200k_base';
import { DEFAULT_ESTIMATE_ALLOWANCES as A } from './estimate-allowances';
import { estimateInputTokens, requestedChoices, requestedOutputCap, type InputEstimateRequest } from './estimator';
import { utf8Bytes } from './token-counter';

const estimate = (request: InputEstimateRequest) => estimateInputTokens(request);
const tokens = (text: string) => o200kCount(text, { disallowedSpecial: new Set() });
const pdfBase64 = (pages: number) =>
  Buffer.from(`%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Count ${pages} >> endobj\n${Array.from({ length: pages }, (_, i) => `${i + 3} 0 obj << /Type /Page /Parent 2 0 R >> endobj`).join('\n')}\n%%EOF`).toString('base64');

describe('estimateInputTokens: OpenAI chat', () => {
  const body = {
    model: 'gpt-4o',
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', name: 'alice', content: 'What is the weather in Paris today?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temp_c": 18, "sky": "clear"}' },
    ],
  };

  it('uses the real tokenizer plus framing', () => {
    const result = estimate({ provider: 'openai', operation: 'chat.completions', model: 'gpt-4o', body });
    expect(result.method).toBe('tokenizer:o200k_base');
    const text = ['system', 'You are a helpful assistant.', 'user', 'alice', 'What is the weather in Paris today?', 'assistant', 'tool', 'call_1', '{"temp_c": 18, "sky": "clear"}'];
    const floor = text.reduce((n, t) => n + tokens(t), 0) + tokens(JSON.stringify(body.messages[2].tool_calls![0].function));
    expect(result.inputTokens).toBe(floor + A.perRequestTokens + 4 * A.perMessageTokens);
  });

  it('is never below the OpenAI cookbook count', () => {
    const message = fc.record({
      role: fc.constantFrom('system', 'user', 'assistant'),
      content: fc.string({ unit: 'grapheme', maxLength: 400 }),
      name: fc.option(fc.stringMatching(/^[a-z]{1,10}$/), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 8 }), (messages) => {
        // num_tokens_from_messages: 3 per message, 1 per name, 3 to prime the reply.
        const cookbook = messages.reduce((n, m) => n + 3 + tokens(m.role) + tokens(m.content) + (m.name ? 1 + tokens(m.name) : 0), 3);
        const result = estimate({ provider: 'openai', operation: 'chat.completions', model: 'gpt-4o-mini', body: { messages } });
        expect(result.inputTokens).toBeGreaterThanOrEqual(cookbook);
      }),
      { numRuns: 150 },
    );
  });

  it('adds allowances for images, audio and files, without tokenizing their data', () => {
    const image = 'data:image/png;base64,' + 'A'.repeat(400_000);
    const withImage = estimate({
      provider: 'openai',
      operation: 'chat.completions',
      model: 'gpt-4.1',
      body: { messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: image, detail: 'high' } }] }] },
    });
    expect(withImage.inputTokens).toBe(A.perRequestTokens + A.perMessageTokens + tokens('user') + tokens('hi') + A.imageTokens.openai);

    const mini = estimate({ provider: 'openai', operation: 'chat.completions', model: 'gpt-4o-mini', body: { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] } });
    expect(mini.inputTokens).toBeGreaterThanOrEqual(A.imageTokens.openaiTiledMini);

    const pdf = estimate({
      provider: 'openai',
      operation: 'chat.completions',
      model: 'gpt-5.2',
      body: { messages: [{ role: 'user', content: [{ type: 'file', file: { filename: 'a.pdf', file_data: `data:application/pdf;base64,${pdfBase64(3)}` } }] }] },
    });
    expect(pdf.inputTokens).toBe(A.perRequestTokens + A.perMessageTokens + tokens('user') + 3 * A.pdfPageTokens);

    const byId = estimate({ provider: 'openai', operation: 'chat.completions', model: 'gpt-5.2', body: { messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-abc' } }] }] } });
    expect(byId.inputTokens).toBeGreaterThanOrEqual(A.referencedContentTokens);
  });

  it('counts tool definitions and structured-output schemas', () => {
    const tool = { type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };
    const format = { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object', properties: { answer: { type: 'string' } } } } };
    const base = estimate({ provider: 'openai', operation: 'chat.completions', model: 'gpt-4o', body: { messages: [] } }).inputTokens;
    const withTools = estimate({ provider: 'openai', operation: 'chat.completions', model: 'gpt-4o', body: { messages: [], tools: [tool], response_format: format } }).inputTokens;
    expect(withTools - base).toBe(A.toolsPreambleTokens + A.perToolTokens + tokens(JSON.stringify(tool)) + tokens(JSON.stringify(format)));
  });

  it('bounds Grok by bytes, since its tokenizer is not ours', () => {
    const content = 'Grüße aus Köln — 你好';
    const result = estimate({ provider: 'grok', operation: 'chat.completions', model: 'grok-3', body: { messages: [{ role: 'user', content }] } });
    expect(result.method).toBe('utf8_bytes');
    expect(result.inputTokens).toBe(A.perRequestTokens + A.perMessageTokens + 4 + utf8Bytes(content));
  });
});

describe('estimateInputTokens: OpenAI Responses', () => {
  it('counts instructions, input items and hosted tools', () => {
    const body = {
      model: 'gpt-5.2',
      instructions: 'Answer briefly.',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'Find budget news.' }, { type: 'input_image', image_url: 'https://example.com/a.png' }] },
        { type: 'function_call', call_id: 'c1', name: 'lookup', arguments: '{"q":"x"}' },
        { type: 'function_call_output', call_id: 'c1', output: 'result text' },
      ],
      tools: [{ type: 'web_search' }, { type: 'file_search', vector_store_ids: ['vs_1'] }],
      max_tool_calls: 3,
    };
    const result = estimate({ provider: 'openai', operation: 'responses', model: 'gpt-5.2', body });
    expect(result.toolCalls).toEqual({ webSearchCalls: 3, fileSearchCalls: 3, groundingQueries: 0 });
    const text = ['Answer briefly.', 'user', 'Find budget news.', 'lookup', '{"q":"x"}', 'result text'].reduce((n, t) => n + tokens(t), 0);
    const tools = body.tools.reduce((n, t) => n + A.perToolTokens + tokens(JSON.stringify(t)) + A.builtInToolTokens, A.toolsPreambleTokens);
    expect(result.inputTokens).toBe(A.perRequestTokens + 4 * A.perMessageTokens + text + A.imageTokens.openai + tools + 6 * A.searchResultTokensPerCall);
  });

  it('reserves for stored context it cannot see', () => {
    const chained = estimate({ provider: 'openai', operation: 'responses', model: 'gpt-5.2', body: { input: 'and then?', previous_response_id: 'resp_1' } });
    expect(chained.inputTokens).toBeGreaterThanOrEqual(A.referencedContentTokens);
    const plain = estimate({ provider: 'openai', operation: 'responses', model: 'gpt-5.2', body: { input: 'and then?' } });
    expect(plain.inputTokens).toBe(A.perRequestTokens + A.perMessageTokens + tokens('and then?'));
    expect(plain.toolCalls).toEqual({ webSearchCalls: 0, fileSearchCalls: 0, groundingQueries: 0 });
  });
});

describe('estimateInputTokens: embeddings', () => {
  it('counts exactly the input tokens', () => {
    expect(estimate({ provider: 'openai', operation: 'embeddings', model: 'text-embedding-3-small', body: { input: 'The food was delicious' } }).inputTokens).toBe(cl100kCount('The food was delicious'));
    expect(estimate({ provider: 'openai', operation: 'embeddings', model: 'text-embedding-3-small', body: { input: ['a b', 'c'] } }).inputTokens).toBe(cl100kCount('a b') + cl100kCount('c'));
    expect(estimate({ provider: 'openai', operation: 'embeddings', model: 'text-embedding-3-small', body: { input: [[1, 2, 3], [4]] } }).inputTokens).toBe(4);
    expect(estimate({ provider: 'openai', operation: 'embeddings', model: 'text-embedding-3-small', body: { input: [1, 2, 3] } }).inputTokens).toBe(3);
  });
});

describe('estimateInputTokens: Anthropic', () => {
  const body = {
    model: 'claude-opus-4-6',
    max_tokens: 1024,
    system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'Describe this.' }, { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/'.repeat(50_000) } }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'calc', input: { expr: '2+2' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '4' }] },
    ],
    tools: [{ name: 'calc', description: 'Evaluates arithmetic', input_schema: { type: 'object', properties: { expr: { type: 'string' } } } }, { type: 'web_search_20250305', name: 'web_search', max_uses: 2 }],
  };

  it('bounds text by UTF-8 bytes and adds image, tool and search allowances', () => {
    const result = estimate({ provider: 'anthropic', operation: 'messages', model: 'claude-opus-4-6', body });
    expect(result.method).toBe('utf8_bytes');
    expect(result.toolCalls.webSearchCalls).toBe(2);
    const text = ['You are terse.', 'user', 'Describe this.', 'assistant', 'calc', '{"expr":"2+2"}', 'user', '4'].reduce((n, t) => n + utf8Bytes(t), 0);
    const tools = A.toolsPreambleTokens + 2 * A.perToolTokens + body.tools.reduce((n, t) => n + utf8Bytes(JSON.stringify(t)), 0) + A.builtInToolTokens;
    expect(result.inputTokens).toBe(A.perRequestTokens + 4 * A.perMessageTokens + text + A.imageTokens.anthropic + tools + 2 * A.searchResultTokensPerCall);
  });

  it('counts PDF pages and text documents', () => {
    const doc = (source: object) => estimate({ provider: 'anthropic', operation: 'messages', model: 'claude-opus-4-6', body: { messages: [{ role: 'user', content: [{ type: 'document', source }] }] } }).inputTokens;
    const framing = A.perRequestTokens + A.perMessageTokens + 4;
    expect(doc({ type: 'base64', media_type: 'application/pdf', data: pdfBase64(2) })).toBe(framing + 2 * A.pdfPageTokens);
    expect(doc({ type: 'text', media_type: 'text/plain', data: 'plain words' })).toBe(framing + 11);
    expect(doc({ type: 'url', url: 'https://example.com/a.pdf' })).toBe(framing + A.pdfPagesWhenUnknown * A.pdfPageTokens);
    expect(doc({ type: 'file', file_id: 'file_1' })).toBe(framing + A.referencedContentTokens);
  });

  it('is never below the bytes of the text it carries', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 300 }), { minLength: 1, maxLength: 6 }), fc.string({ unit: 'binary' }), (texts, system) => {
        const messages = texts.map((text, i) => ({ role: i % 2 ? 'assistant' : 'user', content: [{ type: 'text', text }] }));
        const result = estimate({ provider: 'anthropic', operation: 'messages', model: 'claude-opus-4-6', body: { system, messages } });
        expect(result.inputTokens).toBeGreaterThanOrEqual(texts.reduce((n, t) => n + utf8Bytes(t), utf8Bytes(system)));
      }),
      { numRuns: 100 },
    );
  });
});

describe('estimateInputTokens: Gemini', () => {
  it('counts contents, system instruction, inline media and grounding', () => {
    const body = {
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'Who won Euro 2024?' }, { inlineData: { mimeType: 'image/png', data: 'iVBOR'.repeat(1000) } }] },
        { role: 'model', parts: [{ functionCall: { name: 'search', args: { q: 'euro' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'search', response: { winner: 'Spain' } } }] },
      ],
      tools: [{ googleSearch: {} }],
      generationConfig: { maxOutputTokens: 500, candidateCount: 2 },
    };
    const result = estimate({ provider: 'gemini', operation: 'generateContent', model: 'gemini-3-pro-preview', body });
    expect(result.toolCalls.groundingQueries).toBe(A.toolCallsWhenUnbounded);
    const text = ['Be brief.', 'user', 'Who won Euro 2024?', 'model', 'search', '{"q":"euro"}', 'user', 'search', '{"winner":"Spain"}', '{}'].reduce((n, t) => n + utf8Bytes(t), 0);
    expect(result.inputTokens).toBe(
      A.perRequestTokens + 4 * A.perMessageTokens + text + A.imageTokens.gemini + A.toolsPreambleTokens + A.builtInToolTokens + A.toolCallsWhenUnbounded * A.searchResultTokensPerCall,
    );
    expect(requestedOutputCap('gemini', 'generateContent', body)).toBe(500);
    expect(requestedChoices('gemini', 'generateContent', body)).toBe(2);
  });

  it('sizes audio and video by bytes, and uploads by the worst case', () => {
    const audio = Buffer.alloc(64_000).toString('base64');
    const withAudio = estimate({ provider: 'gemini', operation: 'generateContent', model: 'g', body: { contents: [{ parts: [{ inline_data: { mime_type: 'audio/mp3', data: audio } }] }] } });
    expect(withAudio.inputTokens).toBe(A.perRequestTokens + A.perMessageTokens + 64_000 / A.mediaBytesPerToken);
    const uploaded = estimate({ provider: 'gemini', operation: 'generateContent', model: 'g', body: { contents: [{ parts: [{ fileData: { mimeType: 'video/mp4', fileUri: 'https://generativelanguage.googleapis.com/v1beta/files/abc' } }] }] } });
    expect(uploaded.inputTokens).toBe(A.perRequestTokens + A.perMessageTokens + A.referencedContentTokens);
  });

  it("reads the seed's simplified body", () => {
    const body = { model: 'gemini-3-pro-preview', prompt: 'Say hi', max_tokens: 64, temperature: 0.2 };
    expect(estimate({ provider: 'gemini', operation: 'generateContent', model: 'gemini-3-pro-preview', body }).inputTokens).toBe(A.perRequestTokens + A.perMessageTokens + 6);
    expect(requestedOutputCap('gemini', 'generateContent', body)).toBe(64);
  });
});

describe('requestedOutputCap and requestedChoices', () => {
  it('reads each provider’s cap field', () => {
    expect(requestedOutputCap('openai', 'chat.completions', { max_completion_tokens: 100, max_tokens: 5 })).toBe(100);
    expect(requestedOutputCap('grok', 'chat.completions', { max_tokens: 5 })).toBe(5);
    expect(requestedOutputCap('openai', 'responses', { max_output_tokens: 7 })).toBe(7);
    expect(requestedOutputCap('anthropic', 'messages', { max_tokens: 9 })).toBe(9);
    expect(requestedOutputCap('openai', 'chat.completions', {})).toBeUndefined();
    expect(requestedOutputCap('openai', 'embeddings', { input: 'x' })).toBeUndefined();
    expect(requestedOutputCap('openai', 'chat.completions', { max_tokens: '100' })).toBeNaN();
    expect(requestedChoices('openai', 'chat.completions', { n: 3 })).toBe(3);
    expect(requestedChoices('openai', 'chat.completions', { n: 0 })).toBe(1);
    expect(requestedChoices('anthropic', 'messages', { n: 3 })).toBe(1);
  });

  it('refuses an operation the provider does not have', () => {
    expect(() => estimate({ provider: 'anthropic', operation: 'chat.completions', model: 'x', body: {} })).toThrow(/no chat.completions/);
  });
});

describe('robustness', () => {
  it('survives any JSON body without throwing', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(...(['chat.completions', 'responses', 'embeddings'] as const)), (body, operation) => {
        const result = estimate({ provider: 'openai', operation, model: 'gpt-4o', body });
        expect(Number.isSafeInteger(result.inputTokens)).toBe(true);
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        estimate({ provider: 'anthropic', operation: 'messages', model: 'c', body });
        estimate({ provider: 'gemini', operation: 'generateContent', model: 'g', body });
      }),
      { numRuns: 200 },
    );
  });

  it('estimates a megabyte prompt quickly', () => {
    const words = Array.from({ length: 200_000 }, (_, i) => `word${i % 9973}`).join(' ');
    const started = Date.now();
    const result = estimate({ provider: 'openai', operation: 'chat.completions', model: 'gpt-4o', body: { messages: [{ role: 'user', content: words }] } });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.inputTokens).toBeGreaterThan(200_000);
  });
});
