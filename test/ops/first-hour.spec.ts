// Issue 11.2, a newcomer's first hour with the process itself: one JSON log format with the route
// mapping at debug and a banner to act on; a second sidecar on the same machine just works; a
// wrong DATABASE_URL or REDIS_URL is one clear line; a .env in the working directory is read.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort, runToExit, spawnInstance } from '../support/spawn-instance';
import { createTestDatabase } from '../support/test-database';

function sidecarDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sg-first-hour-'));
  chmodSync(dir, 0o755); // the embedded server runs as the `postgres` user when we are root
  return dir;
}

const jsonLines = (output: string) =>
  output
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

it('logs one JSON format, route mapping only at debug, and a banner that says where to go next', async () => {
  const url = await createTestDatabase();
  const info = await spawnInstance({ DATABASE_URL: url, CAP_LOG_LEVEL: 'info' });
  try {
    await info.http.get('/health');
    const lines = jsonLines(info.output());
    for (const line of lines) expect(line).toEqual(expect.objectContaining({ level: expect.any(String), time: expect.any(String), msg: expect.any(String) }));
    expect(lines.some((l) => /Mapped \{/.test(String(l.msg)))).toBe(false);
    const banner = lines.find((l) => String(l.msg).startsWith('SpendGuard listening on'))!;
    expect(banner).toMatchObject({ url: info.url, mode: 'sidecar', data: expect.stringContaining('DATABASE_URL'), next: expect.stringContaining(`curl -s ${info.url}/health`) });
  } finally {
    await info.stop();
  }
  const debug = await spawnInstance({ DATABASE_URL: url, CAP_LOG_LEVEL: 'debug' });
  try {
    expect(jsonLines(debug.output()).some((l) => l.level === 'debug' && /Mapped \{\/v1\/agents, POST\} route/.test(String(l.msg)))).toBe(true);
  } finally {
    await debug.stop();
  }
  // At warn the banner is still said, alone.
  const quiet = await spawnInstance({ DATABASE_URL: url, CAP_LOG_LEVEL: 'warn' });
  try {
    expect(jsonLines(quiet.output()).map((l) => String(l.msg).split(' ')[0])).toEqual(['SpendGuard']);
  } finally {
    await quiet.stop();
  }
});

it('runs two sidecars with embedded PostgreSQL side by side, and refuses a second one on the same data directory', async () => {
  const a = sidecarDir();
  const b = sidecarDir();
  const first = await spawnInstance({ CAP_DATA_DIR: a }, 120_000);
  try {
    const second = await spawnInstance({ CAP_DATA_DIR: b }, 120_000);
    try {
      expect((await first.http.get('/health/ready')).status).toBe(200);
      expect((await second.http.get('/health/ready')).status).toBe(200);
      expect((await second.http.post('/v1/agents', { name: 'second' })).status).toBe(201);
    } finally {
      expect(await second.stop()).toBe(0);
    }
    const clash = await runToExit({ CAP_DATA_DIR: a, PORT: String(await freePort()) });
    expect(clash.code).toBe(1);
    expect(clash.output.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^spendguard: failed to start: another SpendGuard sidecar already uses the data directory ${a} .*give this one its own CAP_DATA_DIR$`)),
    ]);
  } finally {
    expect(await first.stop()).toBe(0);
  }
}, 240_000);

it('names DATABASE_URL when the database cannot be reached, in one line', async () => {
  const port = await freePort();
  const { code, output } = await runToExit({ DATABASE_URL: `postgresql://postgres:secret-pw@127.0.0.1:${port}/db` });
  expect(code).toBe(1);
  expect(output.trim().split('\n')).toEqual([
    `spendguard: failed to start: cannot use the PostgreSQL of DATABASE_URL (postgresql://postgres@127.0.0.1:${port}/db): connect ECONNREFUSED 127.0.0.1:${port} — nothing listens there: is PostgreSQL running, and is the port right?`,
  ]);
  expect(output).not.toContain('secret-pw');
});

it('says at boot that REDIS_URL does not answer, and exclusive calls fail closed (503)', async () => {
  const url = await createTestDatabase();
  const port = await freePort();
  const instance = await spawnInstance({
    DATABASE_URL: url,
    REDIS_URL: `redis://127.0.0.1:${port}`,
    CAP_LOG_LEVEL: 'info',
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: `http://127.0.0.1:${await freePort()}/v1`,
  });
  try {
    await new Promise((r) => setTimeout(r, 2_500));
    const line = jsonLines(instance.output()).find((l) => l.level === 'error' && String(l.msg).includes('REDIS_URL'));
    expect(line?.msg).toBe(`Redis at REDIS_URL (127.0.0.1:${port}) does not answer: exclusive agents get 503 lock_service_unavailable until it does (parallel agents and the admin API work); check REDIS_URL`);
    const agent = (await instance.http.post('/v1/agents', { name: 'exclusive' })).body.agent_id;
    await instance.http.post(`/v1/agents/${agent}/budget`, { hard_limit_cents: 100 });
    const call = await instance.http.post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-cynsta-agent-id': agent } });
    expect(call.status).toBe(503);
    expect(call.body.error.code).toBe('lock_service_unavailable');
  } finally {
    await instance.stop();
  }
});

it('reads a .env in its working directory, and the environment wins over it', async () => {
  const dir = sidecarDir();
  const url = await createTestDatabase();
  writeFileSync(path.join(dir, '.env'), `DATABASE_URL=${url}\nCAP_LIST_MAX=2\n`);
  const fromFile = await spawnInstance({}, 60_000, dir);
  try {
    // DATABASE_URL came from .env (no embedded PostgreSQL), and so did CAP_LIST_MAX.
    expect(fromFile.output()).toContain('PostgreSQL at DATABASE_URL');
    for (let i = 0; i < 3; i++) await fromFile.http.post('/v1/agents', { name: `env-${i}` });
    expect((await fromFile.http.get('/v1/agents')).body.agents).toHaveLength(2);
  } finally {
    await fromFile.stop();
  }
  const overridden = await spawnInstance({ CAP_LIST_MAX: '5' }, 60_000, dir);
  try {
    expect((await overridden.http.get('/v1/agents')).body.agents).toHaveLength(3);
  } finally {
    await overridden.stop();
  }
});
