// The seed's signed test vectors (copied from /work/shared/pricing-vectors so the suite does not
// reach outside the repo). Each file must get the verdict expected.json gives.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadPriceTable } from './load-price-table';

const VECTORS_DIR = path.join(__dirname, 'testdata', 'vectors');
const SHARED_VECTORS_DIR = path.resolve(__dirname, '../../../shared/pricing-vectors');
// The vectors were generated on 2026-11-01/02; any later instant before 2099 sees them as current.
const NOW = new Date('2027-01-01T00:00:00Z');

const read = (name: string) => readFileSync(path.join(VECTORS_DIR, name), 'utf8');
const expected = JSON.parse(read('expected.json')) as Record<string, 'valid' | 'invalid-signature' | 'expired'>;
const publicKey = read('public_key.b64').trim();

function verdictOf(fileName: string): string {
  const result = loadPriceTable(read(fileName), {
    verifySignature: true,
    publicKeysB64: [publicKey],
    engineName: 'spendguard-engine',
    engineVersion: '0.1.0',
    now: NOW,
  });
  if (result.ok) return 'valid';
  if (result.reason === 'bad_signature') return 'invalid-signature';
  return result.reason;
}

describe('signed pricing vectors', () => {
  it.each(Object.entries(expected))('%s is %s', (fileName, verdict) => {
    expect(verdictOf(fileName)).toBe(verdict);
  });

  it('covers every vector file', () => {
    const files = readdirSync(VECTORS_DIR).filter((f) => f.endsWith('.json') && f !== 'expected.json');
    expect(files.sort()).toEqual(Object.keys(expected).sort());
  });

  (existsSync(SHARED_VECTORS_DIR) ? it : it.skip)('are byte-identical to the shared copies', () => {
    const shared = readdirSync(SHARED_VECTORS_DIR).sort();
    expect(readdirSync(VECTORS_DIR).sort()).toEqual(shared);
    for (const name of shared) {
      expect(readFileSync(path.join(VECTORS_DIR, name)).equals(readFileSync(path.join(SHARED_VECTORS_DIR, name)))).toBe(true);
    }
  });
});
