// SPEC §3 "The hard limit is a ceiling" (issue 10.3): after every set, top-up, release, settle and
// expiry, remaining + reserved ≤ hard_limit. What would lift it higher is not applied, and the
// answer and the ledger entry say what was asked and what was applied.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { LOCAL_TENANT_ID } from '../../src/auth/auth-context';
import { BudgetLedgerRepository } from '../../src/budgets/budget-ledger.repository';
import { Reservation } from '../../src/budgets/reservation';
import { centsToMicrocents } from '../../src/common/money';
import { expectLedgerBalanced, startTestApp, TestApp } from '../support/test-app';

let t: TestApp;
let ledger: BudgetLedgerRepository;

beforeAll(async () => {
  t = await startTestApp();
  ledger = t.app.get(BudgetLedgerRepository);
});
afterEach(() => expectLedgerBalanced(t.pool));
afterAll(() => t.close());

async function agentWith(limitCents: number, topupCents = 0): Promise<string> {
  const agent = await t.http.post('/v1/agents', { name: 'ceiling' });
  await t.http.post(`/v1/agents/${agent.body.agent_id}/budget`, { hard_limit_cents: limitCents, topup_cents: topupCents });
  return agent.body.agent_id;
}

async function hold(agentId: string, amountMicrocents: bigint): Promise<Reservation> {
  const res = await ledger.hold({ tenantId: LOCAL_TENANT_ID, agentId, runId: 'r', requestId: randomUUID(), amountMicrocents, ttlSeconds: 60 });
  if (!res.ok) throw new Error(`hold refused: ${res.reason}`);
  return res.reservation;
}

async function row(agentId: string) {
  const { rows } = await t.pool.query('SELECT hard_limit_microcents AS l, remaining_microcents AS r, reserved_microcents AS h FROM budgets WHERE agent_id = $1', [agentId]);
  return { limit: BigInt(rows[0].l), remaining: BigInt(rows[0].r), reserved: BigInt(rows[0].h) };
}

async function expectUnderCeiling(agentId: string): Promise<void> {
  const b = await row(agentId);
  expect(b.remaining + b.reserved).toBeLessThanOrEqual(b.limit);
}

it('a limit lowered from 100 ¢ to 5 ¢ while 72 ¢ are held lets the agent spend 5 ¢ afterwards, not 77 ¢', async () => {
  const agentId = await agentWith(100);
  const inFlight = await hold(agentId, centsToMicrocents(72));
  const lowered = await t.http.post(`/v1/agents/${agentId}/budget`, { hard_limit_cents: 5 });
  expect(lowered.body).toMatchObject({ hard_limit_cents: 5, remaining_cents: 0, reserved_cents: 72, requested_cents: 0, applied_cents: -28 });
  await inFlight.release({ reason: 'upstream_error' }); // nothing was used: 72 ¢ come back, but only 5 ¢ fit
  const after = (await t.http.get(`/v1/agents/${agentId}/budget`)).body;
  expect(after).toMatchObject({ hard_limit_cents: 5, remaining_cents: 5, reserved_cents: 0 });
  const { rows } = await t.pool.query("SELECT kind, amount_microcents, details FROM ledger_entries WHERE agent_id = $1 AND kind IN ('release', 'adjustment')", [agentId]);
  expect(rows).toEqual([
    { kind: 'release', amount_microcents: '72000000', details: { reason: 'upstream_error' } },
    {
      kind: 'adjustment',
      amount_microcents: '-67000000',
      details: { reason: 'hard_limit_ceiling', requested_microcents: '72000000', applied_microcents: '5000000' },
    },
  ]);
  // What it can spend now: 5 ¢, not one microcent more.
  expect(await ledger.hold({ tenantId: LOCAL_TENANT_ID, agentId, runId: 'r', requestId: randomUUID(), amountMicrocents: centsToMicrocents(5) + 1n, ttlSeconds: 60 })).toMatchObject({ ok: false });
  await (await hold(agentId, centsToMicrocents(5))).settle(centsToMicrocents(5));
  expect((await t.http.get(`/v1/agents/${agentId}/budget`)).body).toMatchObject({ remaining_cents: 0, spent_cents: 5 });
});

it('a settle gives back only what fits under the lowered limit', async () => {
  const agentId = await agentWith(100);
  const inFlight = await hold(agentId, centsToMicrocents(50));
  await t.http.post(`/v1/agents/${agentId}/budget`, { hard_limit_cents: 20 });
  await inFlight.settle(centsToMicrocents(10));
  expect((await t.http.get(`/v1/agents/${agentId}/budget`)).body).toMatchObject({ remaining_cents: 20, spent_cents: 10, reserved_cents: 0 });
  await expectUnderCeiling(agentId);
});

it('a 10 ¢ top-up during a 9.6 ¢ hold leaves remaining + reserved at the limit, and says so', async () => {
  const agentId = await agentWith(10);
  const inFlight = await hold(agentId, 9_600_000n);
  const topped = await t.http.post(`/v1/agents/${agentId}/budget/topup`, { amount_cents: 10 });
  expect(topped.status).toBe(200);
  expect(topped.body).toMatchObject({ requested_cents: 10, applied_cents: 0, applied_microcents: '0', remaining_microcents: '400000', reserved_microcents: '9600000' });
  await expectUnderCeiling(agentId);
  await inFlight.settle(100_000n);
  expect((await t.http.get(`/v1/agents/${agentId}/budget`)).body).toMatchObject({ remaining_microcents: '9900000', spent_microcents: '100000' });
  const { rows } = await t.pool.query("SELECT details FROM ledger_entries WHERE agent_id = $1 AND kind = 'topup'", [agentId]);
  expect(rows[0].details).toEqual({ requested_microcents: '10000000', applied_microcents: '0' });
});

it("a newcomer's `topup 250` after `set 5000/5000` answers what was asked and what was applied", async () => {
  const agentId = await agentWith(5000, 5000);
  const topped = await t.http.post(`/v1/agents/${agentId}/budget/topup`, { amount_cents: 250 });
  expect(topped.status).toBe(200);
  expect(topped.body).toMatchObject({ remaining_cents: 5000, requested_cents: 250, applied_cents: 0 });
  const set = await t.http.post(`/v1/agents/${agentId}/budget`, { hard_limit_cents: 5000, topup_cents: 250 });
  expect(set.body).toMatchObject({ remaining_cents: 5000, requested_cents: 250, applied_cents: 0 });
});

it("keeps an overrun's debt when the limit is lowered: a lowered limit never forgives", async () => {
  const agentId = await agentWith(10);
  await (await hold(agentId, centsToMicrocents(10))).settle(centsToMicrocents(13));
  const lowered = await t.http.post(`/v1/agents/${agentId}/budget`, { hard_limit_cents: 1 });
  expect(lowered.body).toMatchObject({ remaining_microcents: '-3000000', applied_cents: 0 });
});

it('holds under any sequence of sets, top-ups, holds, settles, releases and expiries', async () => {
  type Op =
    | { op: 'set'; limit: number; topup: number }
    | { op: 'topup'; amount: number }
    | { op: 'hold'; amount: number }
    | { op: 'settle'; which: number; cost: number }
    | { op: 'release'; which: number }
    | { op: 'expire'; which: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant('set' as const), limit: fc.integer({ min: 1, max: 100 }), topup: fc.integer({ min: 0, max: 100 }) }),
    fc.record({ op: fc.constant('topup' as const), amount: fc.integer({ min: 1, max: 100 }) }),
    fc.record({ op: fc.constant('hold' as const), amount: fc.integer({ min: 1, max: 40_000_000 }) }),
    fc.record({ op: fc.constant('settle' as const), which: fc.nat(), cost: fc.integer({ min: 0, max: 50_000_000 }) }),
    fc.record({ op: fc.constant('release' as const), which: fc.nat() }),
    fc.record({ op: fc.constant('expire' as const), which: fc.nat() }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
      const agentId = await agentWith(50);
      const open: Reservation[] = [];
      for (const o of ops) {
        if (o.op === 'set') await t.http.post(`/v1/agents/${agentId}/budget`, { hard_limit_cents: o.limit, topup_cents: o.topup });
        else if (o.op === 'topup') await t.http.post(`/v1/agents/${agentId}/budget/topup`, { amount_cents: o.amount });
        else if (o.op === 'hold') {
          const r = await ledger.hold({ tenantId: LOCAL_TENANT_ID, agentId, runId: 'r', requestId: randomUUID(), amountMicrocents: BigInt(o.amount), ttlSeconds: 60 });
          if (r.ok) open.push(r.reservation);
        } else if (open.length > 0) {
          const [r] = open.splice(o.which % open.length, 1);
          if (o.op === 'settle') await r.settle(BigInt(o.cost));
          else if (o.op === 'release') await r.release();
          else await r.expire();
        }
        const b = await row(agentId);
        // Whatever happened, nothing can be spent past the limit: only while holds alone exceed
        // a lowered limit may remaining + reserved be above it, and then remaining is 0 or less.
        if (b.remaining > 0n && b.remaining + b.reserved > b.limit) throw new Error(`ceiling broken after ${JSON.stringify(o)}: ${JSON.stringify(b, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
      }
      for (const r of open) await r.release();
    }),
    { numRuns: 40 },
  );
});
