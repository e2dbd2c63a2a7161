import { createHash } from 'node:crypto';
import { seedMetaDigest } from './seed-meta';

describe('seedMetaDigest', () => {
  it('keeps numbers and booleans by path, and no text at all', () => {
    const meta = JSON.stringify({
      request: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'tell me the launch codes' }], max_tokens: 256, stream: false },
      response: { choices: [{ message: { content: 'no' } }], usage: { prompt_tokens: 12, completion_tokens: 1 }, id: 'chatcmpl-1' },
      latency_ms: 812.5,
      'free text key with spaces': 3,
    });
    const digest = seedMetaDigest(meta);
    expect(digest.fields).toEqual({
      'request.max_tokens': 256,
      'request.stream': false,
      'response.usage.prompt_tokens': 12,
      'response.usage.completion_tokens': 1,
      latency_ms: 812.5,
    });
    expect(JSON.stringify(digest)).not.toMatch(/launch codes|gpt-4o-mini|chatcmpl|free text/);
    expect(digest.sha256).toBe(createHash('sha256').update(meta).digest('hex'));
    expect(digest.bytes).toBe(Buffer.byteLength(meta));
  });

  it('keeps only the digest of meta_json that is not JSON, and bounds the fields', () => {
    expect(seedMetaDigest('{"prompt": NaN').fields).toEqual({});
    const many = JSON.stringify(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i])));
    expect(Object.keys(seedMetaDigest(many).fields)).toHaveLength(32);
  });
});
