// Tenant API key secrets: `sk_cynsta_live_<32 base62>` (or `_test_`), shown once, stored only as
// a SHA-256 hash (Unkey, Immich).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const SECRET_RE = /^sk_cynsta_(live|test)_[0-9A-Za-z]{32}$/;
/** How much of a secret is kept in clear, to tell keys apart in listings. */
export const PREFIX_LENGTH = 19;

export type KeyEnvironment = 'live' | 'test';

export function generateSecret(environment: KeyEnvironment = 'live'): string {
  let out = '';
  while (out.length < 32) {
    for (const byte of randomBytes(48)) {
      // Rejection sampling keeps every character equally likely (248 = 4 × 62).
      if (byte < 248 && out.length < 32) out += BASE62[byte % 62];
    }
  }
  return `sk_cynsta_${environment}_${out}`;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison that does not leak the length of the expected value. */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
