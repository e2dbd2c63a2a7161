// Ed25519 signatures over pricing documents, compatible with the seed's Python signer: the
// signed bytes are the UTF-8 of canonicalJson(document without `signature`); the signature is
// standard base64; keys travel as base64 of their raw 32 bytes.

import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { stringify } from 'lossless-json';
import { canonicalJson, CanonicalJsonError, parsePythonCompatible } from './canonical-json';

export type PriceDocumentSignatureVerdict =
  | { ok: true; keyIndex: number }
  | { ok: false; reason: 'missing_signature' | 'bad_signature' | 'malformed' };

const SIGNATURE_FIELD = 'signature';
const ED25519_SIGNATURE_BYTES = 64;
const ED25519_KEY_BYTES = 32;
// DER headers that turn a raw Ed25519 key into SPKI / PKCS#8, which node:crypto imports.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export class InvalidKeyError extends Error {
  override readonly name = 'InvalidKeyError';
}

/** Decodes strict standard base64 of exactly `length` bytes, or undefined. */
function decodeBase64Exact(text: string, length: number): Buffer | undefined {
  if (!STRICT_BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === length ? bytes : undefined;
}

/**
 * Imports a base64 raw 32-byte Ed25519 public key. Throws InvalidKeyError, so config validation
 * can refuse a bad CAP_PRICING_SIGNING_PUBLIC_KEY at boot.
 */
export function importPublicKey(publicKeyB64: string): KeyObject {
  const raw = decodeBase64Exact(publicKeyB64.trim(), ED25519_KEY_BYTES);
  if (!raw) throw new InvalidKeyError('public key must be standard base64 of 32 raw bytes');
  try {
    return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  } catch (err) {
    throw new InvalidKeyError(`not an Ed25519 public key: ${(err as Error).message}`);
  }
}

export function importPrivateKey(privateKeyB64: string): KeyObject {
  const raw = decodeBase64Exact(privateKeyB64.trim(), ED25519_KEY_BYTES);
  if (!raw) throw new InvalidKeyError('private key must be standard base64 of 32 raw bytes');
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
}

/**
 * Checks the document's signature against each trusted key in turn (several keys allow
 * rotation). Never throws: a key that does not import simply matches nothing, so a bad key fails
 * closed; validate keys at boot with importPublicKey.
 */
export function verifyPriceDocument(rawText: string, publicKeysB64: string[]): PriceDocumentSignatureVerdict {
  let doc: unknown;
  try {
    doc = parsePythonCompatible(rawText);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { ok: false, reason: 'malformed' };
  const signatureText = (doc as Record<string, unknown>)[SIGNATURE_FIELD];
  if (signatureText === undefined || signatureText === null || signatureText === '') {
    return { ok: false, reason: 'missing_signature' };
  }
  if (typeof signatureText !== 'string') return { ok: false, reason: 'malformed' };
  const signature = decodeBase64Exact(signatureText.trim(), ED25519_SIGNATURE_BYTES);
  if (!signature) return { ok: false, reason: 'malformed' };

  let signed: Buffer;
  try {
    signed = Buffer.from(canonicalJson(rawText, { omitTopLevelKeys: [SIGNATURE_FIELD] }), 'utf8');
  } catch (err) {
    if (err instanceof CanonicalJsonError) return { ok: false, reason: 'malformed' };
    throw err;
  }
  for (const [keyIndex, keyB64] of publicKeysB64.entries()) {
    let key: KeyObject;
    try {
      key = importPublicKey(keyB64);
    } catch {
      continue;
    }
    if (verify(null, signed, key, signature)) return { ok: true, keyIndex };
  }
  return { ok: false, reason: 'bad_signature' };
}

/**
 * Signs a document and returns it as 2-space JSON with `signature` last. Number tokens are kept
 * as written; any existing signature is replaced. (Integer-like keys would be reordered by JS
 * object semantics, which changes the layout but not what is signed.)
 */
export function signPriceDocument(docWithoutSignatureText: string, privateKeyB64Raw32: string): string {
  const doc = parsePythonCompatible(docWithoutSignatureText);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new CanonicalJsonError('a price document must be a JSON object');
  }
  const signed = canonicalJson(docWithoutSignatureText, { omitTopLevelKeys: [SIGNATURE_FIELD] });
  const signature = sign(null, Buffer.from(signed, 'utf8'), importPrivateKey(privateKeyB64Raw32)).toString('base64');
  const { [SIGNATURE_FIELD]: _previous, ...rest } = doc as Record<string, unknown>;
  return `${stringify({ ...rest, [SIGNATURE_FIELD]: signature }, null, 2)}\n`;
}

export interface PricingKeyPair {
  publicKeyB64: string;
  privateKeyB64: string;
}

/** A fresh Ed25519 key pair as base64 of the raw 32-byte keys. */
export function generateKeyPair(): PricingKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const publicJwk = publicKey.export({ format: 'jwk' });
  return {
    publicKeyB64: Buffer.from(publicJwk.x as string, 'base64url').toString('base64'),
    privateKeyB64: Buffer.from(jwk.d as string, 'base64url').toString('base64'),
  };
}
