// A signed pricing source for tests that need one (hosted mode requires it): the seed's
// test vectors, signed with the seed's test key.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const VECTORS_DIR = path.join(__dirname, '../../src/pricing/testdata/vectors');
export const TEST_PUBLIC_KEY = readFileSync(path.join(VECTORS_DIR, 'public_key.b64'), 'utf8').trim();
export const TEST_PRIVATE_KEY = readFileSync(path.join(VECTORS_DIR, 'test_private_key.b64'), 'utf8').trim();

export const SIGNED_PRICING_ENV = {
  CAP_PRICING_FILE: path.join(VECTORS_DIR, 'valid-basic.json'),
  CAP_PRICING_SIGNING_PUBLIC_KEY: TEST_PUBLIC_KEY,
};
