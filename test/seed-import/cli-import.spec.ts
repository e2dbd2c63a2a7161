// `spendguard import sqlite PATH` (the real binary) against a running service: the seed's file is
// read on the CLI's side and sent to POST /v1/imports/seed-sqlite; twice changes nothing; a bad
// file names its bad rows, exits 1 and imports nothing. Then the seed user carries on as before:
// the seed's `budget get` shows the seed's numbers, and metered calls spend the imported budget.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fields, spendguard } from '../cli/cli-support';
import { useProxyStack } from '../support/proxy-stack';
import { dumpAllTables, PROMPTS, standardStore, storeDigest, writeSeedStore } from './seed-store-fixture';

const s = useProxyStack();
const env = () => ({ CAP_BASE_URL: s.t.url });

/** Import requests the service has answered 200 so far. */
async function importRequests(): Promise<number> {
  const text = (await s.http.get('/metrics')).text;
  const m = /spendguard_http_requests_total\{method="POST",route="\/v1\/imports\/seed-sqlite",status="200"\} (\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

const agentCount = async () => (await s.t.pool.query('SELECT count(*)::int AS n FROM agents')).rows[0].n as number;

describe('spendguard import sqlite PATH', () => {
  const store = standardStore();
  let file: string;

  beforeAll(async () => {
    file = await writeSeedStore(store.rows);
  });

  it('imports the file and prints key=value counts; a second run prints that everything was skipped and changes nothing', async () => {
    const first = await spendguard(['import', 'sqlite', file], env());
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toBe(
      Object.entries(store.counts)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
    );
    for (const [agentId, expected] of Object.entries(store.budgets)) {
      expect((await s.http.get(`/v1/agents/${agentId}/budget`)).body).toMatchObject(expected);
    }
    const dump = await dumpAllTables(s.t.pool);
    for (const text of PROMPTS) expect(dump).not.toContain(text);

    const before = await storeDigest(s.t.pool);
    const second = await spendguard(['import', 'sqlite', file], env());
    expect(second).toMatchObject({ code: 0, stderr: '' });
    expect(fields(second.stdout)).toEqual({ agents_imported: '0', agents_skipped: '4', budgets_imported: '0', calls_imported: '0', locks_released: '0' });
    expect(await storeDigest(s.t.pool)).toEqual(before);
  });

  it('the seed user carries on: `budget get` shows the seed numbers, and a metered call spends the imported budget', async () => {
    const { alpha } = store.ids;
    const got = await spendguard(['budget', 'get', '--agent', alpha], env());
    expect(got.stdout).toBe(`agent_id=${alpha}\nhard_limit_cents=5000\nremaining_cents=4943\nlocked_cents=0\nlocked_run_id=None\nlocked_expires_at=None\n`);

    s.fake.setBehavior({ usage: { input: 20, output: 10 } });
    const res = await s.http.post(
      '/v1/chat/completions',
      { model: 'gpt-4o-mini', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-cynsta-agent-id': alpha, 'x-cynsta-run-id': 'run-a1' } },
    );
    expect(res.status).toBe(200);
    const budget = (await s.http.get(`/v1/agents/${alpha}/budget`)).body;
    expect(BigInt(budget.spent_microcents)).toBeGreaterThan(57_000_000n);
    expect(BigInt(budget.remaining_microcents) + BigInt(budget.spent_microcents)).toBe(5_000_000_000n);
    const run = (await s.http.get(`/v1/agents/${alpha}/runs/run-a1`)).body;
    expect(run).toMatchObject({ call_count: 3, status: 'idle' });
    const newest = (await s.http.get(`/v1/agents/${alpha}/ledger?limit=1`)).body.entries[0];
    expect(newest.details?.imported_from).toBeUndefined();
  });

  it('--json prints the totals and each agent\'s outcome; --batch-bytes splits the file into several requests', async () => {
    const other = standardStore();
    const requestsBefore = await importRequests();
    const res = await spendguard(['import', 'sqlite', await writeSeedStore(other.rows), '--json', '--batch-bytes', '1024'], env());
    expect(res).toMatchObject({ code: 0, stderr: '' });
    const out = JSON.parse(res.stdout);
    expect(out).toMatchObject(other.counts);
    expect(out.agents).toHaveLength(4);
    expect((await importRequests()) - requestsBefore).toBeGreaterThanOrEqual(3);
    expect(out.agents).toContainEqual({
      agent_id: other.ids.bravo,
      outcome: 'imported',
      reason: null,
      budget_imported: true,
      calls_imported: 1,
      lock_released: true,
    });
    expect(out.agents).toContainEqual(expect.objectContaining({ agent_id: other.ids.charlie, budget_imported: false, calls_imported: 0 }));
  });
});

describe('a file that cannot be imported', () => {
  const cases: [string, () => Promise<string>, RegExp][] = [
    [
      'not a SQLite file',
      async () => {
        const file = await writeSeedStore(standardStore().rows);
        writeFileSync(file, 'agent_id,name\nabc,bot\n');
        return file;
      },
      /is not a SQLite database/,
    ],
    [
      'a missing table',
      () => writeSeedStore(standardStore().rows, 'DROP TABLE cap_usage_ledger'),
      /not a seed store \(SQLITE\.md\): table cap_usage_ledger is missing/,
    ],
    [
      'a negative amount',
      async () => {
        const st = standardStore();
        st.rows.budgets[0].remaining_cents = -5;
        return writeSeedStore(st.rows);
      },
      /cap_budgets row agent_id="[0-9a-f-]{36}": remaining_cents is -5; amounts are 0 or more/,
    ],
    [
      'an amount that is not a whole number',
      async () => {
        const st = standardStore();
        st.rows.ledger[2].wcec_cents = 1.5;
        return writeSeedStore(st.rows);
      },
      /cap_usage_ledger row id="[0-9a-f-]{36}": wcec_cents is "1\.5", not a whole number of cents/,
    ],
    [
      'an agent id our store cannot hold',
      async () => {
        const st = standardStore();
        st.rows.agents.push({ agent_id: 'agent with spaces', name: 'x', created_at: '2026-01-01T00:00:00+00:00' });
        return writeSeedStore(st.rows);
      },
      /cap_agents row agent_id="agent with spaces": agent id "agent with spaces" cannot be kept here/,
    ],
  ];

  it.each(cases)('%s: a clear message naming the row, exit 1, nothing imported', async (_name, make, message) => {
    const before = await storeDigest(s.t.pool);
    const agents = await agentCount();
    const res = await spendguard(['import', 'sqlite', await make()], env());
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^cannot import the seed SQLite file .+, nothing was imported: /);
    expect(res.stderr).toMatch(message);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(await agentCount()).toBe(agents);
    expect(await storeDigest(s.t.pool)).toEqual(before);
  });

  it('a path with no file: exit 1, saying so', async () => {
    const res = await spendguard(['import', 'sqlite', `/tmp/no-such-${randomUUID()}.db`], env());
    expect(res).toMatchObject({ code: 1, stdout: '' });
    expect(res.stderr).toMatch(/no-such-.*: no such file/);
  });

  it('no PATH, or two: a usage error (exit 2)', async () => {
    expect((await spendguard(['import', 'sqlite'], env())).code).toBe(2);
    expect((await spendguard(['import', 'sqlite', 'a.db', 'b.db'], env())).code).toBe(2);
  });
});
