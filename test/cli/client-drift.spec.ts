// The generated client (src/client/openapi.ts) must describe the API the service serves: the
// types are regenerated from a live service's /openapi.json and compared with the checked-in file.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startTestApp, TestApp } from '../support/test-app';

const ROOT = path.join(__dirname, '../..');
const CHECKED_IN = path.join(ROOT, 'src/client/openapi.ts');

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

function generate(args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, 'scripts/generate-client.js'), ...args], { encoding: 'utf8', cwd: ROOT });
}

describe('the generated API client', () => {
  it("matches the types generated from the running service's /openapi.json", async () => {
    const res = await fetch(`${t.url}/openapi.json`);
    expect(res.status).toBe(200);
    const dir = mkdtempSync(path.join(tmpdir(), 'sg-client-'));
    writeFileSync(path.join(dir, 'openapi.json'), await res.text());
    const out = path.join(dir, 'openapi.ts');
    const gen = generate(['--from', path.join(dir, 'openapi.json'), '--out', out]);
    expect(gen.stderr).toBe('');
    const fresh = readFileSync(out, 'utf8');
    const current = readFileSync(CHECKED_IN, 'utf8');
    if (fresh !== current) {
      throw new Error(
        "src/client/openapi.ts differs from the types of the server's /openapi.json: run `npm run client:generate` " +
          `and commit the result (diff: diff ${CHECKED_IN} ${out})`,
      );
    }
  });

  it('--check fails, naming the command that regenerates it, when the file is stale', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sg-client-'));
    const stale = path.join(dir, 'openapi.ts');
    writeFileSync(stale, readFileSync(CHECKED_IN, 'utf8').replace('"/v1/agents/{agent_id}/budget/topup"', '"/v1/agents/{agent_id}/budget/top-up"'));
    const res = generate(['--check', '--out', stale]);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('run `npm run client:generate`');
    expect(generate(['--check']).status).toBe(0);
  });
});
