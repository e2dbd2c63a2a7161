import { generateSecret, hashSecret, SECRET_RE, secretsEqual } from './api-key-secret';

describe('api key secrets', () => {
  it('look like sk_cynsta_live_<32 base62> and never repeat', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const s = generateSecret();
      expect(s).toMatch(SECRET_RE);
      expect(s.startsWith('sk_cynsta_live_')).toBe(true);
      seen.add(s);
    }
    expect(seen.size).toBe(200);
    expect(generateSecret('test').startsWith('sk_cynsta_test_')).toBe(true);
  });

  it('hash to SHA-256 hex and compare in constant time', () => {
    expect(hashSecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(secretsEqual('operator-key-123456', 'operator-key-123456')).toBe(true);
    expect(secretsEqual('operator-key-123456', 'operator-key-12345')).toBe(false);
  });
});
