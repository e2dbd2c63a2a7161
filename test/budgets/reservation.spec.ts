// The reservation handle budgets gives the proxy (issue 10.1): it ends exactly once, whoever ends
// it and however often, and it ends by itself at its deadline — charged in full, its lease (the
// agent lock) let go — so nothing a call does can keep a budget or an agent blocked past it.
import { randomUUID } from 'node:crypto';
import { LOCAL_TENANT_ID } from '../../src/auth/auth-context';
import { BudgetLedgerRepository, HoldResult } from '../../src/budgets/budget-ledger.repository';
import { Reservation } from '../../src/budgets/reservation';
import { InProcessLocks } from '../../src/locks/in-process-locks';
import { expectLedgerBalanced, startTestApp, TestApp } from '../support/test-app';

let t: TestApp;
let ledger: BudgetLedgerRepository;

beforeAll(async () => {
  t = await startTestApp();
  ledger = t.app.get(BudgetLedgerRepository);
});
afterEach(() => expectLedgerBalanced(t.pool));
afterAll(() => t.close());

async function held(amountMicrocents: bigint, deadlineInMs: number, ttlSeconds = 60): Promise<{ agentId: string; reservation: Reservation }> {
  const agent = await t.http.post('/v1/agents', { name: 'handle' });
  await t.http.post(`/v1/agents/${agent.body.agent_id}/budget`, { hard_limit_cents: 100 });
  const res: HoldResult = await ledger.hold({
    tenantId: LOCAL_TENANT_ID,
    agentId: agent.body.agent_id,
    runId: 'r',
    requestId: randomUUID(),
    amountMicrocents,
    ttlSeconds,
    deadlineAt: Date.now() + deadlineInMs,
  });
  if (!res.ok) throw new Error(`hold refused: ${res.reason}`);
  return { agentId: agent.body.agent_id, reservation: res.reservation };
}

const entries = async (agentId: string) =>
  (await t.pool.query("SELECT kind, amount_microcents, details FROM ledger_entries WHERE agent_id = $1 AND kind <> 'limit_set' ORDER BY seq", [agentId])).rows;

it('ends exactly once: a settle, a release and an expiry racing each other make one move', async () => {
  const { agentId, reservation } = await held(5_000_000n, 60_000);
  const outcomes = await Promise.all([reservation.settle(1_000_000n), reservation.release({ reason: 'late' }), reservation.expire()]);
  expect(outcomes[0]).toEqual(outcomes[1]);
  expect(outcomes[1]).toEqual(outcomes[2]);
  expect((await entries(agentId)).map((e) => e.kind)).toEqual(['reserve', 'settle', 'release']);
  expect(reservation.finished).toBe(true);
});

it('ends by itself at its deadline, charged in full, and lets its lease go', async () => {
  const { agentId, reservation } = await held(3_000_000n, 600);
  const locks = new InProcessLocks();
  const lock = await locks.acquire(LOCAL_TENANT_ID, agentId, 'r', 30_000);
  if (!lock.ok) throw new Error('lock');
  let lost = false;
  reservation.keepAlive({ holdTtlSeconds: 60, lease: lock.lock, leaseTtlMs: 30_000, onLeaseLost: () => (lost = true) });
  expect((await locks.acquire(LOCAL_TENANT_ID, agentId, 'other', 1_000)).ok).toBe(false);

  await new Promise((r) => setTimeout(r, 900));
  expect(reservation.finished).toBe(true);
  expect(await entries(agentId)).toEqual([
    { kind: 'reserve', amount_microcents: '-3000000', details: null },
    { kind: 'expire', amount_microcents: '-3000000', details: { reason: 'call_deadline_passed' } },
  ]);
  expect((await locks.acquire(LOCAL_TENANT_ID, agentId, 'other', 1_000)).ok).toBe(true);
  expect(lost).toBe(false);
  // A settle arriving after the deadline gets the expiry's outcome and changes nothing.
  expect(await reservation.settle(1n)).toMatchObject({ costMicrocents: 3_000_000n });
  expect(await entries(agentId)).toHaveLength(2);
});

it("keeps its hold alive while open, but never past the deadline", async () => {
  const { reservation } = await held(1_000_000n, 2_500, 1);
  reservation.keepAlive({ holdTtlSeconds: 1 });
  const expiresAt = async () => (await t.pool.query('SELECT expires_at FROM reservations WHERE id = $1', [reservation.id])).rows[0].expires_at as Date;
  await new Promise((r) => setTimeout(r, 1_500));
  // Without the beats it would have expired after 1 s; with them it is still ahead of now …
  expect((await expiresAt()).getTime()).toBeGreaterThan(Date.now());
  // … but never beyond the deadline.
  expect((await expiresAt()).getTime()).toBeLessThanOrEqual(reservation.deadlineAt);
  await reservation.release();
});
