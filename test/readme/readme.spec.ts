// Issue 11.2: the README's shell blocks, run in order as a newcomer would paste them, against a
// fresh sidecar in front of the fake provider (and, for the hosted-mode blocks, a hosted
// instance started with the environment the README's own blocks prepared). Variables carry from
// block to block as in one terminal. A block is skipped only when it says why, in a
// `<!-- readme-test: skip (…) -->` line just above it (it starts a server: this test starts it).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FakeProvider, startFakeProvider } from '../fake-provider/fake-provider';
import { binDir } from '../cli/cli-support';
import { PROVIDER_KEYS } from '../support/proxy-stack';
import { Instance, spawnInstance } from '../support/spawn-instance';
import { createTestDatabase } from '../support/test-database';
import { TEST_REDIS_URL } from '../support/test-env';

const ROOT = path.join(__dirname, '../..');

interface Block {
  line: number;
  code: string;
  mode: 'sidecar' | 'hosted' | 'skip';
  why?: string;
}

/** The ```bash blocks of the README, with the readme-test mark of the comment lines above each. */
function bashBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```bash') continue;
    let end = i + 1;
    while (lines[end].trim() !== '```') end++;
    let mark: string | undefined;
    for (let j = i - 1; j >= 0 && lines[j].startsWith('<!--'); j--) {
      const m = /<!-- readme-test: (.*) -->/.exec(lines[j]);
      if (m) mark = m[1];
    }
    const skip = mark ? /^skip \((.+)\)$/.exec(mark) : null;
    if (mark && !skip && mark !== 'hosted') throw new Error(`README line ${i}: unknown readme-test mark '${mark}'`);
    blocks.push({ line: i + 1, code: lines.slice(i + 1, end).join('\n'), mode: skip ? 'skip' : mark === 'hosted' ? 'hosted' : 'sidecar', why: skip?.[1] });
    i = end;
  }
  return blocks;
}

let fake: FakeProvider;
let sidecar: Instance;
let hosted: Instance | undefined;
let work: string;
const state = () => path.join(work, '.readme-state.sh');

beforeAll(async () => {
  fake = await startFakeProvider();
  work = mkdtempSync(path.join(tmpdir(), 'sg-readme-'));
  // The README names repository files by relative path, as seen from a checkout's root.
  symlinkSync(path.join(ROOT, 'src'), path.join(work, 'src'));
  writeFileSync(state(), '');
  sidecar = await spawnInstance({ DATABASE_URL: await createTestDatabase(), ...PROVIDER_KEYS, ...fake.env() }, 60_000, work);
}, 90_000);

afterAll(async () => {
  await sidecar?.stop();
  await hosted?.stop();
  await fake?.close();
});

/**
 * Runs one block in bash, with the variables the earlier blocks left, and keeps the ones it sets.
 * Asynchronously: the fake provider answers from this very process.
 */
function run(block: Block, port: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const code = block.code.replace(/(localhost|127\.0\.0\.1):8787/g, `127.0.0.1:${port}`);
  const script = [
    'set -a',
    `. ${JSON.stringify(state())}`,
    'set -euo pipefail',
    code,
    // Keep what this block exported (set -a exports every assignment), for the next one.
    `export -p | grep -Ev '^declare -[a-zA-Z-]* (SHELLOPTS|BASHOPTS|SHLVL|PWD|OLDPWD|_)=' > ${JSON.stringify(state())}`,
  ].join('\n');
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], {
      cwd: work,
      env: { PATH: `${binDir()}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '/tmp', CAP_BASE_URL: `http://127.0.0.1:${port}` },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A hosted instance with the environment the README's blocks exported (operator key, signed prices). */
async function startHosted(): Promise<Instance> {
  const vars = spawnSync('bash', ['-c', `set -a; . ${JSON.stringify(state())}; env`], { encoding: 'utf8' }).stdout;
  const env = Object.fromEntries(vars.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  for (const name of ['OPERATOR_KEY', 'CAP_PRICING_FILE', 'CAP_PRICING_SIGNING_PUBLIC_KEY', 'CAP_PROVIDER_KEY_ENCRYPTION_KEY']) {
    if (!env[name]) throw new Error(`the README's hosted-mode set-up did not export ${name}`);
  }
  return spawnInstance(
    {
      CAP_MODE: 'hosted',
      CAP_API_KEY: env.OPERATOR_KEY,
      CAP_PRICING_FILE: env.CAP_PRICING_FILE,
      CAP_PRICING_SIGNING_PUBLIC_KEY: env.CAP_PRICING_SIGNING_PUBLIC_KEY,
      CAP_PROVIDER_KEY_ENCRYPTION_KEY: env.CAP_PROVIDER_KEY_ENCRYPTION_KEY,
      DATABASE_URL: await createTestDatabase(),
      REDIS_URL: TEST_REDIS_URL,
      CAP_REDIS_KEY_PREFIX: `sgreadme:${process.pid}:`,
      ...fake.env(),
    },
    60_000,
    work,
  );
}

it('runs every shell block of the README, in order, with no error answered', async () => {
  const blocks = bashBlocks(readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  const ran: number[] = [];
  for (const block of blocks) {
    if (block.mode === 'skip') continue;
    if (block.mode === 'hosted') hosted ??= await startHosted();
    const port = new URL((block.mode === 'hosted' ? hosted! : sidecar).url).port;
    const res = await run(block, port);
    if (res.code !== 0 || /"error":\{"type"/.test(res.stdout) || /^HTTP \d{3}: /m.test(res.stderr)) {
      throw new Error(`README block at line ${block.line} failed (exit ${res.code}):\n${block.code}\n--- stdout\n${res.stdout}\n--- stderr\n${res.stderr}`);
    }
    ran.push(block.line);
  }
  // The newcomer's path: quickstart, admin API, CLI, metered calls, hosted set-up and use.
  expect(ran.length).toBeGreaterThanOrEqual(8);
  expect(blocks.filter((b) => b.mode === 'skip').every((b) => (b.why ?? '').length > 10)).toBe(true);
  // What the blocks did is there: the metered calls were charged to the README's agent.
  const agent = spawnSync('bash', ['-c', `. ${JSON.stringify(state())}; echo "$AGENT"`], { encoding: 'utf8' }).stdout.trim();
  const budget = await sidecar.http.get(`/v1/agents/${agent}/budget`);
  expect(BigInt(budget.body.spent_microcents)).toBeGreaterThan(0n);
  expect(fake.requestCount).toBeGreaterThanOrEqual(3);
}, 180_000);

it('`npm run fake-provider`, which the README starts by hand, prints its URL and base URLs', async () => {
  // Its own process group: npm does not pass a signal on to the server it started.
  const child = spawn('npm', ['run', '--silent', 'fake-provider', '--', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  try {
    for (let i = 0; i < 200 && !out.includes('GEMINI_BASE_URL='); i++) await new Promise((r) => setTimeout(r, 100));
    expect(out).toMatch(/^http:\/\/127\.0\.0\.1:\d+\n/);
    expect(out).toMatch(/OPENAI_BASE_URL=http:\/\/127\.0\.0\.1:\d+\/v1/);
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
    child.stdout.destroy();
    child.stderr.destroy();
  }
}, 30_000);
