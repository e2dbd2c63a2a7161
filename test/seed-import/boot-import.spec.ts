// SPEC §2: a seed user's data comes along. A sidecar booted with the seed's CAP_STORE=sqlite and
// CAP_SQLITE_PATH imports that file before it listens: agents with the seed's ids, budgets with
// the seed's figures, the usage ledger as history; no prompt text unless capture is on; once.
import { LOCAL_TENANT_ID } from '../../src/auth/auth-context';
import { checkLedgerInvariant } from '../../src/budgets/ledger-invariant';
import { createTestDatabase } from '../support/test-database';
import { expectLedgerBalanced, startTestApp, TestApp } from '../support/test-app';
import { dumpAllTables, PROMPTS, standardStore, storeDigest, writeSeedStore } from './seed-store-fixture';

const store = standardStore();
const { alpha, bravo, charlie, delta } = store.ids;
let file: string;
let databaseUrl: string;
let t: TestApp;

const boot = (env: Record<string, string> = {}) => startTestApp({ databaseUrl, env: { CAP_STORE: 'sqlite', CAP_SQLITE_PATH: file, ...env } });

beforeAll(async () => {
  file = await writeSeedStore(store.rows);
  databaseUrl = await createTestDatabase();
  t = await boot();
});
afterEach(() => expectLedgerBalanced(t.pool));
afterAll(() => t?.close());

describe('a sidecar booted with CAP_STORE=sqlite', () => {
  it("brings every agent over with the seed's id, name and creation time, budget-only agents included", async () => {
    const { body } = await t.http.get('/v1/agents');
    expect(body.agents.map((a: { agent_id: string }) => a.agent_id).sort()).toEqual([alpha, bravo, charlie, delta].sort());
    expect((await t.http.get(`/v1/agents/${alpha}`)).body).toMatchObject({ name: 'research-bot', created_at: '2026-01-05T09:00:00.123Z', deleted_at: null });
    expect((await t.http.get(`/v1/agents/${charlie}`)).body).toMatchObject({ name: null, created_at: '2026-01-07T11:00:00.000Z' });
    // No cap_agents row: the agent is dated by its first call.
    expect((await t.http.get(`/v1/agents/${delta}`)).body).toMatchObject({ name: null, created_at: '2026-01-08T08:00:00.000Z' });
    expect((await t.http.get(`/v1/agents/${charlie}/budget`)).status).toBe(404);
  });

  it("gives each budget the seed's hard limit and remaining cents, the dead process's lock released", async () => {
    for (const [agentId, expected] of Object.entries(store.budgets)) {
      const res = await t.http.get(`/v1/agents/${agentId}/budget`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ agent_id: agentId, ...expected, locked_expires_at: null });
    }
    const opening = (await t.http.get(`/v1/agents/${bravo}/ledger`)).body.entries.at(-1);
    expect(opening.details.seed_lock_released).toEqual({ locked_run_id: 'run-of-a-dead-process', locked_cents: 25, locked_expires_at: '1767700000' });
  });

  it('keeps the usage ledger as history: each seed row a settled call, dated as the seed dated it, replaying to the budget', async () => {
    const { body } = await t.http.get(`/v1/agents/${alpha}/ledger?limit=500`);
    const entries = [...body.entries].reverse();
    expect(entries.map((e: { kind: string; amount_microcents: string }) => `${e.kind} ${e.amount_microcents}`)).toEqual([
      'limit_set 5000000000',
      'reserve -50000000', 'settle -12000000', 'release 38000000',
      'reserve -40000000', 'release 40000000',
      'reserve -30000000', 'settle -30000000', 'overrun -15000000',
    ]);
    expect(entries.at(-1).balance_after_microcents).toBe('4943000000');
    const [ok, failed, over] = store.rows.ledger;
    const settle = entries[2];
    expect(settle).toMatchObject({
      run_id: 'run-a1',
      request_id: ok.id,
      provider: 'openai',
      model: 'gpt-4o-mini',
      usage: { inputTokens: 1200, outputTokens: 300 },
      created_at: '2026-01-05T09:01:00.500Z',
      details: {
        imported_from: 'seed_sqlite',
        seed_row_id: ok.id,
        seed_wcec_cents: 50,
        seed_realized_cents: 12,
        termination_reason: null,
        seed_meta: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/), fields: expect.objectContaining({ 'request.max_tokens': 256, latency_ms: 640 }) },
      },
    });
    expect(settle.details).not.toHaveProperty('seed_meta_json');
    expect(entries[5]).toMatchObject({ kind: 'release', details: { seed_row_id: failed.id, termination_reason: 'provider_error' } });
    expect(entries[8]).toMatchObject({ kind: 'overrun', details: { imported_from: 'seed_sqlite', seed_row_id: over.id } });
    // A run id ours cannot hold (spaces) gets a stable one; the seed's stays in the details.
    expect(entries[7].details.seed_run_id).toBe('run a2 with spaces');
    expect(entries[7].run_id).toMatch(/^seed-[0-9a-f]{32}$/);
    const [report] = await checkLedgerInvariant(t.pool, alpha);
    expect(report).toMatchObject({ ok: true, row: { credited: '5000000000', remaining: '4943000000', reserved: '0', spent: '57000000' } });
  });

  it('shows the history in …/runs: calls, spend and dates per run', async () => {
    const runs = (await t.http.get(`/v1/agents/${alpha}/runs`)).body.runs;
    expect(runs).toEqual([
      expect.objectContaining({ run_id: expect.stringMatching(/^seed-/), status: 'idle', call_count: 1, spent_cents: 45, created_at: '2026-01-05T09:03:00.000Z' }),
      expect.objectContaining({ run_id: 'run-a1', status: 'idle', call_count: 2, spent_cents: 12, spent_microcents: '12000000', created_at: '2026-01-05T09:01:00.500Z' }),
    ]);
    // The seed rounded this call's worst case to 0 cents and named no run.
    expect((await t.http.get(`/v1/agents/${bravo}/runs/seed-unattributed`)).body).toMatchObject({ call_count: 1, spent_microcents: '0', in_flight: 0 });
    expect((await t.http.get(`/v1/agents/${delta}/runs/run-d1`)).body).toMatchObject({ call_count: 1, spent_cents: 3 });
  });

  it('copies no prompt or completion text into any table', async () => {
    const dump = await dumpAllTables(t.pool);
    expect(dump).toContain(store.rows.ledger[0].id);
    for (const text of [...PROMPTS, 'INCIDENT: resolved', 'general kenobi', 'PROMPT-ALPHA']) expect(dump).not.toContain(text);
  });

  it('changes nothing when it boots again on the same file', async () => {
    const before = await storeDigest(t.pool);
    await t.close();
    t = await boot();
    expect(await storeDigest(t.pool)).toEqual(before);
    for (const [agentId, expected] of Object.entries(store.budgets)) {
      expect((await t.http.get(`/v1/agents/${agentId}/budget`)).body).toMatchObject(expected);
    }
  });

  it('on a later boot brings only what the file gained: a new agent, not the rows already here', async () => {
    const before = await storeDigest(t.pool);
    const grown = standardStore();
    grown.rows.agents.push(...store.rows.agents);
    grown.rows.budgets.push(...store.rows.budgets.map((b) => ({ ...b, remaining_cents: 1 })));
    file = await writeSeedStore(grown.rows);
    await t.close();
    t = await boot();
    const { rows } = await t.pool.query('SELECT count(*)::int AS n FROM agents WHERE tenant_id = $1', [LOCAL_TENANT_ID]);
    expect(rows[0].n).toBe(8);
    expect((await t.http.get(`/v1/agents/${grown.ids.alpha}/budget`)).body).toMatchObject(grown.budgets[grown.ids.alpha]);
    // The agents imported before keep their figures, though the file now says otherwise.
    expect((await t.http.get(`/v1/agents/${alpha}/budget`)).body.remaining_cents).toBe(4943);
    const { rows: old } = await t.pool.query(`SELECT count(*)::int AS n FROM ledger_entries WHERE agent_id = ANY($1)`, [[alpha, bravo, charlie, delta]]);
    expect(`${old[0].n}`).toBe(before.ledger_entries.split(':')[0]);
  });
});

describe('with CAP_CAPTURE_PROMPT_RESPONSE=true', () => {
  it("keeps each call's meta_json, prompts included, in the closing entry's details", async () => {
    const captured = await startTestApp({ env: { CAP_STORE: 'sqlite', CAP_SQLITE_PATH: await writeSeedStore(store.rows), CAP_CAPTURE_PROMPT_RESPONSE: 'true' } });
    try {
      const entries = (await captured.http.get(`/v1/agents/${alpha}/ledger?limit=500`)).body.entries.reverse();
      expect(entries[2].kind).toBe('settle');
      expect(entries[2].details.seed_meta_json).toBe(store.rows.ledger[0].meta_json);
      expect(await dumpAllTables(captured.pool)).toContain(PROMPTS[0]);
      await expectLedgerBalanced(captured.pool);
    } finally {
      await captured.close();
    }
  });
});
