import { readFileSync } from 'node:fs';
import path from 'node:path';
import { canonicalJson } from './canonical-json';
import { generateKeyPair, importPublicKey, InvalidKeyError, signPriceDocument, verifyPriceDocument } from './signature';

const vectors = path.join(__dirname, 'testdata', 'vectors');
const read = (name: string) => readFileSync(path.join(vectors, name), 'utf8');
const publicKey = read('public_key.b64').trim();
const testPrivateKey = read('test_private_key.b64').trim();

describe('verifyPriceDocument', () => {
  it('accepts the seed-signed document and names the key that matched', () => {
    const other = generateKeyPair().publicKeyB64;
    expect(verifyPriceDocument(read('valid-edge-numbers-and-keys.json'), [other, publicKey])).toEqual({ ok: true, keyIndex: 1 });
  });

  it('refuses a document whose float was rewritten as an integer', () => {
    expect(verifyPriceDocument(read('tampered-float-as-int.json'), [publicKey])).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('reports a missing signature', () => {
    expect(verifyPriceDocument('{"schema_version":"1"}', [publicKey])).toEqual({ ok: false, reason: 'missing_signature' });
    expect(verifyPriceDocument('{"signature":null}', [publicKey])).toEqual({ ok: false, reason: 'missing_signature' });
  });

  it('reports malformed input without throwing', () => {
    for (const text of ['not json', '[1,2]', '{"signature": 5}', '{"signature": "!!!"}', '{"signature": "AAAA"}', '{"x": 1e999, "signature": "' + 'A'.repeat(86) + '=="}']) {
      expect(verifyPriceDocument(text, [publicKey])).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('fails closed when no trusted key imports', () => {
    expect(verifyPriceDocument(read('valid-basic.json'), ['not-a-key', ''])).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyPriceDocument(read('valid-basic.json'), [])).toEqual({ ok: false, reason: 'bad_signature' });
  });
});

describe('signPriceDocument', () => {
  it('reproduces the seed signer byte for byte', () => {
    const original = read('valid-edge-numbers-and-keys.json');
    const resigned = signPriceDocument(original, testPrivateKey);
    // Ed25519 is deterministic, so the same key over the same canonical bytes gives the same signature.
    expect(JSON.parse(resigned).signature).toBe(JSON.parse(original).signature);
  });

  it('keeps number tokens as written and puts the signature last', () => {
    const pair = generateKeyPair();
    const signed = signPriceDocument('{"b": 2.0, "a": 1e-05, "big": 12345678901234567890}', pair.privateKeyB64);
    expect(signed).toContain('"b": 2.0');
    expect(signed).toContain('"a": 1e-05');
    expect(signed).toContain('"big": 12345678901234567890');
    expect(Object.keys(JSON.parse(signed))).toEqual(['b', 'a', 'big', 'signature']);
    expect(verifyPriceDocument(signed, [pair.publicKeyB64])).toEqual({ ok: true, keyIndex: 0 });
  });

  it('replaces an existing signature', () => {
    const pair = generateKeyPair();
    const signed = signPriceDocument(read('valid-basic.json'), pair.privateKeyB64);
    expect(verifyPriceDocument(signed, [pair.publicKeyB64]).ok).toBe(true);
    expect(verifyPriceDocument(signed, [publicKey]).ok).toBe(false);
    expect(canonicalJson(signed, { omitTopLevelKeys: ['signature'] })).toBe(
      canonicalJson(read('valid-basic.json'), { omitTopLevelKeys: ['signature'] }),
    );
  });
});

describe('keys', () => {
  it('generates raw 32-byte keys in standard base64', () => {
    const pair = generateKeyPair();
    expect(Buffer.from(pair.publicKeyB64, 'base64')).toHaveLength(32);
    expect(Buffer.from(pair.privateKeyB64, 'base64')).toHaveLength(32);
    expect(pair.publicKeyB64).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  it('refuses a key that is not 32 raw bytes', () => {
    expect(() => importPublicKey('AAAA')).toThrow(InvalidKeyError);
    expect(() => importPublicKey(`${publicKey}x`)).toThrow(InvalidKeyError);
    expect(importPublicKey(publicKey).asymmetricKeyType).toBe('ed25519');
  });
});
