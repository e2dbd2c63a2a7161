// The budget core the proxy calls, against the real Postgres: holds are atomic and never
// together exceed what is left; settles, releases, overruns and expiries post exactly.
import { randomUUID } from 'node:crypto';
import { LOCAL_TENANT_ID } from '../../src/auth/auth-context';
import { BudgetLedgerRepository } from '../../src/budgets/budget-ledger.repository';
import { FINALIZE_SQL } from '../../src/budgets/finalize.sql';
import { SweeperService } from '../../src/budgets/sweeper.service';
import { centsToMicrocents } from '../../src/common/money';
import { expectLedgerBalanced, startTestApp, TestApp } from '../support/test-app';

let t: TestApp;
let ledger: BudgetLedgerRepository;

beforeAll(async () => {
  t = await startTestApp({ env: { CAP_DB_POOL_MAX: '20' } });
  ledger = t.app.get(BudgetLedgerRepository);
});
afterEach(() => expectLedgerBalanced(t.pool));
afterAll(() => t.close());

async function agentWithBudget(limitCents: number, topupCents = 0): Promise<string> {
  const agent = await t.http.post('/v1/agents', { name: 'ledger-test' });
  await t.http.post(`/v1/agents/${agent.body.agent_id}/budget`, { hard_limit_cents: limitCents, topup_cents: topupCents });
  return agent.body.agent_id;
}

const hold = (agentId: string, amountMicrocents: bigint, ttlSeconds = 60) =>
  ledger.hold({
    tenantId: LOCAL_TENANT_ID,
    agentId,
    runId: 'run-1',
    requestId: randomUUID(),
    amountMicrocents,
    ttlSeconds,
    provider: 'openai',
    model: 'gpt-4o-mini',
  });

async function budgetRow(agentId: string) {
  const { rows } = await t.pool.query('SELECT * FROM budgets WHERE agent_id = $1', [agentId]);
  return rows[0];
}

describe('hold', () => {
  it('lets exactly 50 of 200 concurrent holds through when the budget fits 50', async () => {
    const agentId = await agentWithBudget(50 * 7); // 350 cents
    const each = centsToMicrocents(7);
    const results = await Promise.all(Array.from({ length: 200 }, () => hold(agentId, each)));

    expect(results.filter((r) => r.ok)).toHaveLength(50);
    expect(results.filter((r) => !r.ok && r.reason === 'insufficient_budget')).toHaveLength(150);
    const b = await budgetRow(agentId);
    expect(b.remaining_microcents).toBe('0');
    expect(b.reserved_microcents).toBe((50n * each).toString());
    expect(b.in_flight).toBe(50);
    const { rows } = await t.pool.query(
      "SELECT count(*)::int AS n FROM reservations WHERE agent_id = $1 AND status = 'open'",
      [agentId],
    );
    expect(rows[0].n).toBe(50);
  });

  it('refuses a hold larger than what is left and changes nothing', async () => {
    const agentId = await agentWithBudget(10);
    const before = await budgetRow(agentId);
    const r = await hold(agentId, centsToMicrocents(10) + 1n);
    expect(r).toEqual({ ok: false, reason: 'insufficient_budget', remainingMicrocents: centsToMicrocents(10), level: 'agent', levelId: agentId });
    expect(await budgetRow(agentId)).toEqual(before);
  });

  it('says why when there is no budget or no agent', async () => {
    const agent = await t.http.post('/v1/agents', {});
    expect(await hold(agent.body.agent_id, 1n)).toEqual({ ok: false, reason: 'budget_not_found' });
    expect(await hold(randomUUID(), 1n)).toEqual({ ok: false, reason: 'agent_not_found' });
  });

  it('refuses holds for a deleted agent', async () => {
    const agentId = await agentWithBudget(100);
    await t.http.delete(`/v1/agents/${agentId}`);
    expect(await hold(agentId, 1n)).toEqual({ ok: false, reason: 'agent_not_found' });
  });
});

// Holds that arrive while the agent's previous hold statement runs go together in one statement
// (src/budgets/hold-lanes.ts): same answers as one by one, first come first served.
describe('holds queued on one agent', () => {
  it('commits a burst of holds in far fewer transactions than holds', async () => {
    const agentId = await agentWithBudget(10_000);
    const results = await Promise.all(Array.from({ length: 100 }, () => hold(agentId, centsToMicrocents(1))));
    expect(results.every((r) => r.ok)).toBe(true);
    const { rows } = await t.pool.query('SELECT count(DISTINCT xmin::text)::int AS txs FROM reservations WHERE agent_id = $1', [agentId]);
    expect(rows[0].txs).toBeLessThan(50);
    const b = await budgetRow(agentId);
    expect(b).toMatchObject({ remaining_microcents: String(centsToMicrocents(10_000 - 100)), in_flight: 100 });
    // Each reserve entry's balance is what was left right after it, in ledger order.
    const entries = await t.pool.query(
      "SELECT balance_after_microcents AS bal FROM ledger_entries WHERE agent_id = $1 AND kind = 'reserve' ORDER BY seq",
      [agentId],
    );
    expect(entries.rows.map((r) => BigInt(r.bal))).toEqual(Array.from({ length: 100 }, (_, i) => centsToMicrocents(10_000 - 1 - i)));
  });

  it('takes them first come, first served, and answers each that does not fit on its own', async () => {
    const agentId = await agentWithBudget(100);
    const sizes = [30, 50, 40, 10, 20];
    const results = await Promise.all(sizes.map((c) => hold(agentId, centsToMicrocents(c))));
    // 30 alone; then 50 (20 left); 40 does not fit, 10 does (10 left), 20 does not.
    expect(results.map((r) => r.ok)).toEqual([true, true, false, true, false]);
    expect(results[2]).toMatchObject({ ok: false, reason: 'insufficient_budget' });
    expect((await budgetRow(agentId)).remaining_microcents).toBe(String(centsToMicrocents(10)));
  });

  it('commits holds of many agents together too, each agent first come first served', async () => {
    const agents = await Promise.all(Array.from({ length: 10 }, () => agentWithBudget(50)));
    // Per agent: 8 holds of 10 cents against 50: exactly the first 5 of each are taken.
    const results = await Promise.all(agents.flatMap((a) => Array.from({ length: 8 }, () => hold(a, centsToMicrocents(10)))));
    expect(results.filter((r) => r.ok)).toHaveLength(50);
    for (let i = 0; i < agents.length; i++) {
      expect(results.slice(i * 8, i * 8 + 8).map((r) => r.ok)).toEqual([true, true, true, true, true, false, false, false]);
      expect(await budgetRow(agents[i])).toMatchObject({ remaining_microcents: '0', in_flight: 5 });
    }
    const { rows } = await t.pool.query('SELECT count(DISTINCT xmin::text)::int AS txs FROM reservations WHERE agent_id = ANY($1::text[])', [agents]);
    expect(rows[0].txs).toBeLessThan(15); // one agent at a time would take 20 (2 per agent)
  });

  it('never fails a batch for one member: a hold its statement cannot take fails alone, the rest commit', async () => {
    const agents = await Promise.all(Array.from({ length: 10 }, () => agentWithBudget(1_000)));
    // Postgres refuses a NUL byte in text: a member that breaks any statement it is part of. It
    // queues behind other holds, so it is taken together with theirs.
    const first = agents.map((a) => hold(a, centsToMicrocents(1)));
    const poison = ledger.hold({ tenantId: LOCAL_TENANT_ID, agentId: agents[9], runId: 'run-1', requestId: 'bad\u0000id', amountMicrocents: 1n, ttlSeconds: 60 });
    const rest = agents.flatMap((a) => Array.from({ length: 29 }, () => hold(a, centsToMicrocents(1))));
    const [poisoned, ...results] = await Promise.allSettled([poison, ...first, ...rest]);
    expect(poisoned.status).toBe('rejected');
    expect(results.map((r) => r.status === 'fulfilled' && r.value.ok)).toEqual(Array(300).fill(true));
    for (const a of agents) expect(await budgetRow(a)).toMatchObject({ in_flight: 30 });
  });

  it('refuses a hold no budget could hold before any SQL', async () => {
    const agentId = await agentWithBudget(100);
    const r = await hold(agentId, 2n ** 63n);
    expect(r).toEqual({ ok: false, reason: 'insufficient_budget', remainingMicrocents: centsToMicrocents(100), level: 'agent', levelId: agentId });
  });

  it('refuses a burst for a deleted agent, every one', async () => {
    const agentId = await agentWithBudget(100);
    await t.http.delete(`/v1/agents/${agentId}`);
    const results = await Promise.all(Array.from({ length: 10 }, () => hold(agentId, 1n)));
    expect(results.map((r) => !r.ok && r.reason)).toEqual(Array(10).fill('agent_not_found'));
  });
});

describe('settle, release, overrun', () => {
  it('charges the exact cost in microcents and releases the rest of the hold', async () => {
    const agentId = await agentWithBudget(100);
    const h = await hold(agentId, 5_000_000n);
    if (!h.ok) throw new Error('hold failed');
    const done = await ledger.settle(LOCAL_TENANT_ID, h.reservationId, 1_234_567n, {
      usage: { input_tokens: 10 },
      costBreakdown: { total: '1234567' },
      priceVersion: 'v-test',
    });
    expect(done).toEqual({
      agentId,
      holdMicrocents: 5_000_000n,
      costMicrocents: 1_234_567n,
      remainingMicrocents: 100_000_000n - 1_234_567n,
    });
    const b = await budgetRow(agentId);
    expect([b.remaining_microcents, b.reserved_microcents, b.spent_microcents, b.in_flight]).toEqual([
      '98765433',
      '0',
      '1234567',
      0,
    ]);
    const { rows } = await t.pool.query(
      'SELECT kind, amount_microcents, balance_after_microcents, price_version FROM ledger_entries WHERE agent_id = $1 ORDER BY seq',
      [agentId],
    );
    expect(rows.map((r) => [r.kind, r.amount_microcents, r.balance_after_microcents])).toEqual([
      ['limit_set', '100000000', '100000000'],
      ['reserve', '-5000000', '95000000'],
      ['settle', '-1234567', '95000000'],
      ['release', '3765433', '98765433'],
    ]);
    expect(rows[2].price_version).toBe('v-test');
  });

  it('settles a reservation once: a second settle changes nothing', async () => {
    const agentId = await agentWithBudget(100);
    const h = await hold(agentId, 1_000_000n);
    if (!h.ok) throw new Error('hold failed');
    expect(await ledger.settle(LOCAL_TENANT_ID, h.reservationId, 10n)).not.toBeNull();
    const before = await budgetRow(agentId);
    expect(await ledger.settle(LOCAL_TENANT_ID, h.reservationId, 999_999n)).toBeNull();
    expect(await ledger.release(LOCAL_TENANT_ID, h.reservationId)).toBeNull();
    expect(await budgetRow(agentId)).toEqual(before);
  });

  it('charges a cost above the hold in full as an overrun, which blocks the agent until topped up', async () => {
    const agentId = await agentWithBudget(10);
    const h = await hold(agentId, centsToMicrocents(10));
    if (!h.ok) throw new Error('hold failed');
    await ledger.settle(LOCAL_TENANT_ID, h.reservationId, centsToMicrocents(13));
    const b = await budgetRow(agentId);
    expect([b.remaining_microcents, b.spent_microcents]).toEqual([(-centsToMicrocents(3)).toString(), centsToMicrocents(13).toString()]);
    const kinds = await t.pool.query('SELECT kind, amount_microcents FROM ledger_entries WHERE agent_id = $1 ORDER BY seq', [agentId]);
    expect(kinds.rows.slice(-2)).toEqual([
      { kind: 'settle', amount_microcents: '-10000000' },
      { kind: 'overrun', amount_microcents: '-3000000' },
    ]);
    expect(await hold(agentId, 1n)).toMatchObject({ ok: false, reason: 'insufficient_budget' });
    const metrics = await t.http.get('/metrics');
    expect(metrics.text).toMatch(/^spendguard_overruns_total [1-9]/m);

    const topped = await t.http.post(`/v1/agents/${agentId}/budget/topup`, { amount_cents: 5 });
    expect(topped.body.remaining_cents).toBe(2);
    expect((await hold(agentId, 1n)).ok).toBe(true);
  });

  it('releases a hold in full and records why', async () => {
    const agentId = await agentWithBudget(100);
    const h = await hold(agentId, 7_000_000n);
    if (!h.ok) throw new Error('hold failed');
    await ledger.release(LOCAL_TENANT_ID, h.reservationId, { reason: 'upstream_error', status: 502 });
    const b = await budgetRow(agentId);
    expect([b.remaining_microcents, b.reserved_microcents, b.spent_microcents]).toEqual(['100000000', '0', '0']);
    const last = await t.pool.query('SELECT kind, amount_microcents, details FROM ledger_entries WHERE agent_id = $1 ORDER BY seq DESC LIMIT 1', [agentId]);
    expect(last.rows[0]).toEqual({ kind: 'release', amount_microcents: '7000000', details: { reason: 'upstream_error', status: 502 } });
  });

  it('never lets another tenant settle a reservation', async () => {
    const agentId = await agentWithBudget(100);
    const h = await hold(agentId, 1_000_000n);
    if (!h.ok) throw new Error('hold failed');
    expect(await ledger.settle(randomUUID(), h.reservationId, 1n)).toBeNull();
    expect(await ledger.settle(LOCAL_TENANT_ID, h.reservationId, 1n)).not.toBeNull();
  });

  it('keeps the invariant exact under concurrent holds and settles of odd amounts', async () => {
    const agentId = await agentWithBudget(1_000);
    const costs = Array.from({ length: 120 }, (_, i) => BigInt(1 + ((i * 7_919_993) % 9_999_991)));
    await Promise.all(
      costs.map(async (cost, i) => {
        const h = await hold(agentId, 9_999_991n);
        if (!h.ok) return;
        if (i % 5 === 0) await ledger.release(LOCAL_TENANT_ID, h.reservationId);
        else await ledger.settle(LOCAL_TENANT_ID, h.reservationId, i % 11 === 0 ? cost + 10_000_000n : cost);
      }),
    );
    const b = await budgetRow(agentId);
    expect(b.in_flight).toBe(0);
    expect(b.reserved_microcents).toBe('0');
    expect(BigInt(b.remaining_microcents) + BigInt(b.spent_microcents)).toBe(centsToMicrocents(1_000));
  });
});

describe('expiry (crash safety)', () => {
  it('charges holds past their expiry in full as `expire` and frees the agent', async () => {
    const agentId = await agentWithBudget(100);
    const h = await hold(agentId, 4_000_000n);
    if (!h.ok) throw new Error('hold failed');
    await t.pool.query("UPDATE reservations SET expires_at = now() - interval '1 second' WHERE id = $1", [h.reservationId]);
    await t.app.get(SweeperService).tick();

    const b = await budgetRow(agentId);
    expect([b.remaining_microcents, b.reserved_microcents, b.spent_microcents, b.in_flight]).toEqual([
      '96000000',
      '0',
      '4000000',
      0,
    ]);
    const { rows } = await t.pool.query('SELECT status, cost_microcents FROM reservations WHERE id = $1', [h.reservationId]);
    expect(rows[0]).toEqual({ status: 'expired', cost_microcents: '4000000' });
    const last = await t.pool.query('SELECT kind, amount_microcents FROM ledger_entries WHERE agent_id = $1 ORDER BY seq DESC LIMIT 1', [agentId]);
    expect(last.rows[0]).toEqual({ kind: 'expire', amount_microcents: '-4000000' });
    // A late settle from the lost call changes nothing: the hold was already charged.
    expect(await ledger.settle(LOCAL_TENANT_ID, h.reservationId, 1n)).toBeNull();
  });

  it('leaves holds that have not expired alone', async () => {
    const agentId = await agentWithBudget(100);
    const h = await hold(agentId, 1_000_000n, 3600);
    await t.app.get(SweeperService).tick();
    const { rows } = await t.pool.query('SELECT status FROM reservations WHERE id = $1', [h.ok && h.reservationId]);
    expect(rows[0].status).toBe('open');
    if (h.ok) await ledger.release(LOCAL_TENANT_ID, h.reservationId);
  });
});

describe('the ledger is append-only', () => {
  it('refuses updates and deletes of entries', async () => {
    const agentId = await agentWithBudget(1);
    await expect(t.pool.query("UPDATE ledger_entries SET amount_microcents = 0 WHERE agent_id = $1", [agentId])).rejects.toThrow(/append-only/);
    await expect(t.pool.query('DELETE FROM ledger_entries WHERE agent_id = $1', [agentId])).rejects.toThrow(/append-only/);
  });

  it('refuses a budget row that does not balance', async () => {
    const agentId = await agentWithBudget(1);
    await expect(
      t.pool.query('UPDATE budgets SET remaining_microcents = remaining_microcents + 1 WHERE agent_id = $1', [agentId]),
    ).rejects.toThrow(/budgets_balanced_check/);
  });
});

// Every statement that locks budget rows in a CTE then writes each whole row from the locked
// values: within one statement, the UPDATE's own view of a row whose lock it waited for can be
// the version before the other transaction's commit. Measured before the fix: a hold waiting on
// a settle's lock wrote back the pre-settle `spent`, and the row no longer balanced.
describe('statements that wait for one another on a budget row', () => {
  it.each(['hold', 'settle'] as const)('a %s waiting on an open settle writes what that settle committed', async (second) => {
    const agentId = await agentWithBudget(100);
    const first = await hold(agentId, 20_000_000n);
    const other = await hold(agentId, 20_000_000n);
    if (!first.ok || !other.ok) throw new Error('hold failed');
    const blocker = await t.pool.connect();
    try {
      await blocker.query('BEGIN');
      // The first settle, in a transaction left open: it holds the budget row's lock.
      await blocker.query(FINALIZE_SQL, [first.reservationId, LOCAL_TENANT_ID, '5000000', 'settled', null, null, null, null]);
      const waiting = second === 'hold' ? hold(agentId, 10_000_000n) : ledger.settle(LOCAL_TENANT_ID, other.reservationId, 7_000_000n);
      await new Promise((r) => setTimeout(r, 300));
      await blocker.query('COMMIT');
      expect(await waiting).toMatchObject(second === 'hold' ? { ok: true } : { costMicrocents: 7_000_000n });
    } finally {
      blocker.release();
    }
    const b = await budgetRow(agentId);
    expect(BigInt(b.spent_microcents)).toBe(second === 'hold' ? 5_000_000n : 12_000_000n);
  });
});
