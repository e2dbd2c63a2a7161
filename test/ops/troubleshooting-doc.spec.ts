// docs/troubleshooting.md is keyed by error code: a code added to error-codes.ts without a section
// there, or a seed `detail` string users search for that it does not quote, fails here.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ERROR_CODES } from '../../src/common/errors/error-codes';
import { SEED_DETAIL } from '../../src/common/errors/seed-details';

const doc = readFileSync(path.join(__dirname, '../../docs/troubleshooting.md'), 'utf8');

describe('docs/troubleshooting.md', () => {
  it('has a section for every error code', () => {
    const sections = new Set([...doc.matchAll(/^### (.+)$/gm)].flatMap((m) => m[1].match(/`([a-z_]+)`/g) ?? []).map((c) => c.slice(1, -1)));
    expect(Object.keys(ERROR_CODES).filter((code) => !sections.has(code))).toEqual([]);
  });

  it("quotes the seed's detail strings and its signature-failure log line", () => {
    const quoted = [...Object.values(SEED_DETAIL), 'Unknown model for pricing: {provider}:{model}', '{Provider} request failed: {what}', 'Remote pricing signature verification failed'];
    expect(quoted.filter((text) => !doc.includes(text))).toEqual([]);
  });
});
