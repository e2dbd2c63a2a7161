// `npm run demo` (scripts/demo.ts) as a newcomer runs it: a fake provider, SpendGuard as a child
// process on its own embedded PostgreSQL, the OpenAI SDK spending until a 402. The test runs the
// script itself (the suite has built dist/ already) and checks that it ends cleanly.
import { spawn } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

function runDemo(timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // A shell without DATABASE_URL or REDIS_URL, as on a newcomer's machine.
    const { DATABASE_URL: _db, REDIS_URL: _redis, CAP_API_KEY: _key, ...env } = process.env;
    const child = spawn(TSX, ['scripts/demo.ts'], { cwd: ROOT, env: { ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      child.kill('SIGINT'); // the demo stops SpendGuard and its PostgreSQL on SIGINT
      reject(new Error(`the demo did not finish in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

it('npm run demo spends an agent’s budget call by call, stops at a 402, cleans up and exits 0', async () => {
  const { code, output } = await runDemo(150_000);
  if (code !== 0) throw new Error(`the demo exited with ${code}:\n${output}`);
  expect(output).toContain('SpendGuard demo');
  expect(output).toMatch(/^call 1: ok /m);
  const calls = [...output.matchAll(/^call (\d+): ok /gm)].length;
  expect(calls).toBeGreaterThanOrEqual(3);
  expect(calls).toBeLessThanOrEqual(10);
  expect(output).toMatch(/remaining \d+\.\d{4}¢ of 3¢/);
  expect(output).toMatch(new RegExp(`^call ${calls + 1}: refused with 402 Payment Required: insufficient budget`, 'm'));
  expect(output).toContain(`the provider saw ${calls} calls`);
  expect(output).toMatch(/stopping SpendGuard … done/);
  expect(output).not.toMatch(/demo failed/);
}, 180_000);
