// `spendguard pricing keygen | sign | verify`, run as the built binary an operator runs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TEST_PUBLIC_KEY, VECTORS_DIR } from '../support/pricing-fixtures';

const BIN = path.join(__dirname, '../../bin/spendguard.js');

function spendguard(args: string[], env: Record<string, string> = {}) {
  const res = spawnSync(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

const lines = (text: string) => Object.fromEntries(text.trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));

describe('spendguard pricing', () => {
  it('gives every seed vector the verdict expected.json names', () => {
    const expected: Record<string, string> = JSON.parse(readFileSync(path.join(VECTORS_DIR, 'expected.json'), 'utf8'));
    for (const [file, verdict] of Object.entries(expected)) {
      const res = spendguard(['pricing', 'verify', path.join(VECTORS_DIR, file), '--key', TEST_PUBLIC_KEY]);
      expect([file, lines(res.stdout).verdict, res.code]).toEqual([file, verdict, verdict === 'valid' ? 0 : 1]);
    }
  });

  it('makes keys, signs a document with them, and verifies it; a rotated key list still verifies', () => {
    const keys = lines(spendguard(['pricing', 'keygen']).stdout);
    expect(Buffer.from(keys.public_key, 'base64')).toHaveLength(32);
    expect(Buffer.from(keys.private_key, 'base64')).toHaveLength(32);

    const dir = mkdtempSync(path.join(tmpdir(), 'sg-cli-'));
    const doc = JSON.parse(readFileSync(path.join(VECTORS_DIR, 'valid-edge-numbers-and-keys.json'), 'utf8'));
    delete doc.signature;
    writeFileSync(path.join(dir, 'prices.json'), JSON.stringify(doc, null, 2).replace('"two": 2,', '"two": 2.0,'));
    const sign = spendguard(['pricing', 'sign', '--in', path.join(dir, 'prices.json'), '--out', path.join(dir, 'signed.json')], {
      CAP_PRICING_SIGNING_PRIVATE_KEY: keys.private_key,
    });
    expect(sign.code).toBe(0);
    expect(readFileSync(path.join(dir, 'signed.json'), 'utf8')).toContain('"two": 2.0');

    const verify = spendguard(['pricing', 'verify', path.join(dir, 'signed.json')], {
      CAP_PRICING_SIGNING_PUBLIC_KEY: `${TEST_PUBLIC_KEY},${keys.public_key}`,
    });
    expect(verify.code).toBe(0);
    expect(lines(verify.stdout)).toMatchObject({ verdict: 'valid', key_index: '1' });
    const wrongKey = spendguard(['pricing', 'verify', path.join(dir, 'signed.json'), '--key', TEST_PUBLIC_KEY]);
    expect(wrongKey.code).toBe(1);
  });

  it('exits 2 with help on a usage error', () => {
    const res = spendguard(['pricing', 'sign']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('sign needs --in FILE');
    expect(spendguard(['pricing', 'verify', 'x.json']).stderr).toContain('no public key');
    expect(spendguard(['--help']).code).toBe(0);
  });
});
