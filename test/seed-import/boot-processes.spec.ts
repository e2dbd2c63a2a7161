// The boot import as an operator runs it (dist/main.js): one JSON line with the counts; two
// instances booting at once on the same file import it once between them; a restart imports
// nothing; a missing file is one line and the service starts; a bad file stops the boot with the
// rows at fault; hosted mode refuses CAP_STORE=sqlite, naming what to use instead.
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { checkLedgerInvariant } from '../../src/budgets/ledger-invariant';
import { SIGNED_PRICING_ENV } from '../support/pricing-fixtures';
import { runToExit, spawnInstance } from '../support/spawn-instance';
import { createTestDatabase, testPool } from '../support/test-database';
import { SeedStoreRows, standardStore, storeDigest, writeSeedStore } from './seed-store-fixture';

const AGENTS = 150;
const CALLS_PER_AGENT = 20;

/** A store large enough that two instances' imports overlap: AGENTS agents of CALLS_PER_AGENT calls. */
function largeStore(): SeedStoreRows {
  const rows: SeedStoreRows = { agents: [], budgets: [], ledger: [] };
  for (let a = 0; a < AGENTS; a++) {
    const id = randomUUID();
    rows.agents.push({ agent_id: id, name: `agent-${a}`, created_at: '2026-01-01T00:00:00+00:00' });
    rows.budgets.push({ agent_id: id, hard_limit_cents: 10_000, remaining_cents: 10_000 - CALLS_PER_AGENT * 3 });
    for (let c = 0; c < CALLS_PER_AGENT; c++) {
      rows.ledger.push({
        id: randomUUID(), agent_id: id, run_id: `run-${c % 4}`, provider: 'openai', model: 'gpt-4o-mini', input_tokens: 100, output_tokens: 50,
        wcec_cents: 5, realized_cents: 3, termination_reason: null, meta_json: '{"request":{"messages":[{"content":"secret"}]}}',
        created_at: `2026-01-02T00:00:${String(c).padStart(2, '0')}+00:00`,
      });
    }
  }
  return rows;
}

/** The fields of the boot import's log line in an instance's output. */
function importLine(output: string): Record<string, unknown> {
  const line = output.split('\n').find((l) => l.includes('seed SQLite store imported'));
  if (!line) throw new Error(`no import line in:\n${output}`);
  const parsed = JSON.parse(line);
  return typeof parsed.message === 'object' ? parsed.message : parsed;
}

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.end();
  pool = undefined;
});

it('two instances booting at once on the same file import it once between them; a restart imports nothing', async () => {
  const databaseUrl = await createTestDatabase();
  const file = await writeSeedStore(largeStore());
  const env = { DATABASE_URL: databaseUrl, CAP_STORE: 'sqlite', CAP_SQLITE_PATH: file, CAP_LOG_LEVEL: 'info' };
  const [a, b] = await Promise.all([spawnInstance(env), spawnInstance(env)]);
  try {
    const lines = [importLine(a.output()), importLine(b.output())];
    expect(lines[0]).toMatchObject({ msg: 'seed SQLite store imported', path: file });
    const sum = (key: string) => lines.reduce((n, l) => n + Number(l[key]), 0);
    expect(sum('agents_imported')).toBe(AGENTS);
    expect(sum('agents_skipped')).toBe(AGENTS);
    expect(sum('calls_imported')).toBe(AGENTS * CALLS_PER_AGENT);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
  pool = testPool(databaseUrl);
  const counts = (await pool.query(`SELECT (SELECT count(*) FROM budgets)::int AS budgets, (SELECT count(*) FROM reservations)::int AS calls,
                                           (SELECT count(*) FROM ledger_entries)::int AS entries`)).rows[0];
  // Each call: reserve, settle, release; each budget: its opening credit.
  expect(counts).toEqual({ budgets: AGENTS, calls: AGENTS * CALLS_PER_AGENT, entries: AGENTS * (1 + 3 * CALLS_PER_AGENT) });
  expect((await checkLedgerInvariant(pool)).filter((r) => !r.ok)).toEqual([]);

  const before = await storeDigest(pool);
  const again = await spawnInstance(env);
  await again.stop();
  expect(importLine(again.output())).toMatchObject({ agents_imported: 0, agents_skipped: AGENTS, calls_imported: 0 });
  expect(await storeDigest(pool)).toEqual(before);
}, 120_000);

it('a missing file is one clear line, and the service starts without importing', async () => {
  const databaseUrl = await createTestDatabase();
  const path = `/tmp/sg-no-seed-${randomUUID()}.db`;
  const instance = await spawnInstance({ DATABASE_URL: databaseUrl, CAP_STORE: 'sqlite', CAP_SQLITE_PATH: path });
  try {
    expect((await instance.http.get('/v1/agents')).body.agents).toEqual([]);
  } finally {
    await instance.stop();
  }
  const lines = instance.output().split('\n').filter((l) => l.includes(path));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`no seed SQLite file at ${path}, nothing imported; set CAP_SQLITE_PATH`);
});

it('a file that cannot be imported stops the boot, naming the row; nothing is imported', async () => {
  const databaseUrl = await createTestDatabase();
  const store = standardStore();
  store.rows.ledger[1].realized_cents = -3;
  const file = await writeSeedStore(store.rows);
  const { code, output } = await runToExit({ DATABASE_URL: databaseUrl, CAP_STORE: 'sqlite', CAP_SQLITE_PATH: file });
  expect(code).toBe(1);
  expect(output).toContain(`spendguard: failed to start: cannot import the seed SQLite file ${file}, nothing was imported: cap_usage_ledger row id="${store.rows.ledger[1].id}": realized_cents is -3; amounts are 0 or more`);
  pool = testPool(databaseUrl);
  expect((await pool.query('SELECT count(*)::int AS n FROM agents')).rows[0].n).toBe(0);
});

it('hosted mode refuses CAP_STORE=sqlite at boot, in one line naming the command to use', async () => {
  const { code, output } = await runToExit({
    CAP_MODE: 'hosted', DATABASE_URL: 'postgresql://unused@127.0.0.1:1/x', REDIS_URL: 'redis://127.0.0.1:1', CAP_API_KEY: 'operator-key-0123456789abcdef',
    ...SIGNED_PRICING_ENV, CAP_STORE: 'sqlite',
  });
  expect(code).toBe(1);
  expect(output.trim().split('\n')).toEqual([expect.stringMatching(/^config: CAP_STORE: .*`spendguard import sqlite PATH` \(POST \/v1\/imports\/seed-sqlite\)/)]);
});

it("a sidecar with no CAP_STORE imports the seed's file from where the seed kept it (its default store), and says nothing when there is none", async () => {
  const databaseUrl = await createTestDatabase();
  const store = standardStore();
  const file = await writeSeedStore(store.rows); // <tmp dir>/cynsta-spendguard.db
  const cwd = file.slice(0, file.lastIndexOf('/'));
  const instance = await spawnInstance({ DATABASE_URL: databaseUrl, CAP_LOG_LEVEL: 'info' }, 60_000, cwd);
  try {
    expect(importLine(instance.output())).toMatchObject({ path: './cynsta-spendguard.db', ...store.counts });
    expect((await instance.http.get(`/v1/agents/${store.ids.alpha}/budget`)).body).toMatchObject(store.budgets[store.ids.alpha]);
  } finally {
    await instance.stop();
  }
  const elsewhere = await spawnInstance({ DATABASE_URL: await createTestDatabase(), CAP_LOG_LEVEL: 'info' });
  await elsewhere.stop();
  expect(elsewhere.output()).not.toContain('seed SQLite');
});
