import { randomBytes } from 'node:crypto';
import { decryptKey, encryptKey } from './key-cipher';

describe('provider key cipher', () => {
  const key = randomBytes(32);

  it('round-trips and never shows the secret', () => {
    const sealed = encryptKey('sk-live-secret-123', key, 't1/openai');
    expect(sealed).not.toContain('sk-live');
    expect(decryptKey(sealed, key, 't1/openai')).toBe('sk-live-secret-123');
    expect(encryptKey('sk-live-secret-123', key, 't1/openai')).not.toBe(sealed);
  });

  it('refuses another row, another key, or a tampered ciphertext', () => {
    const sealed = encryptKey('secret', key, 't1/openai');
    expect(() => decryptKey(sealed, key, 't2/openai')).toThrow();
    expect(() => decryptKey(sealed, randomBytes(32), 't1/openai')).toThrow();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => decryptKey(parts.join('.'), key, 't1/openai')).toThrow();
  });
});
