// SPEC §10 under load: three service processes, 500 concurrent metered calls spread over ten
// agents — exclusive and parallel mixed, five in a team group nested in an org group, three in
// the org group directly, two in no group, three calling inside runs with their own budgets —
// under the tenant's budget set by the operator. Every budget row is sampled while the calls run:
// no level is ever committed past its ceiling; afterwards every level spent exactly what its
// calls cost (each group the sum of its members, the tenant the sum of all), every reservation
// charged the same amount on every level it held on, every level's ledger replays to its
// figures, and no hold is left. The second test does the same with an instance killed (SIGKILL)
// in the middle of the load; its holds expire in full on every level.
import { Pool } from 'pg';
import { brokenInvariants, chatBody, Cluster, OPERATOR_KEY, openReservations, startCluster } from './support/cluster';
import { recordFigures, sleep, waitFor } from './support/figures';
import { HttpClient } from '../support/test-app';

const CALLS = 500;
const TTL_SECONDS = 5;
const PER_CALL_WORST = 8_000 * 60 + 200 * 15; // a generous bound on one call's charge (µ¢)

let c: Cluster;
beforeAll(async () => {
  c = await startCluster({
    instances: 3,
    env: { CAP_DB_POOL_MAX: '15', CAP_RESERVATION_TTL_SECONDS: String(TTL_SECONDS), CAP_SWEEP_INTERVAL_SECONDS: '1', CAP_LOCK_TTL_MS: '1500' },
  });
}, 120_000);
afterAll(() => c?.close());

interface Agent {
  id: string;
  group: 'team' | 'org' | null;
  run: string | null;
}

interface Tenant {
  id: string;
  clients: HttpClient[];
  team: string;
  org: string;
  agents: Agent[];
}

async function must(res: Promise<{ status: number; body: any; text: string }>, ...ok: number[]) {
  const r = await res;
  if (!ok.includes(r.status)) throw new Error(`unexpected ${r.status}: ${r.text}`);
  return r.body;
}

/** A new tenant with budgets on all four levels (limits in cents). */
async function setUpTenant(name: string): Promise<Tenant> {
  const operator = c.instances[0].http.withHeaders({ 'x-api-key': OPERATOR_KEY });
  const tenant = await must(operator.post('/v1/tenants', { name }), 201);
  const clients = c.instances.map((i) => i.http.withHeaders({ 'x-api-key': tenant.api_key.secret }));
  const admin = clients[0];
  await must(operator.post(`/v1/tenants/${tenant.tenant_id}/budget`, { hard_limit_cents: 100 }), 200, 201);
  const org = (await must(admin.post('/v1/groups', { name: 'org' }), 201)).group_id;
  const team = (await must(admin.post('/v1/groups', { name: 'team', parent_group_id: org }), 201)).group_id;
  await must(admin.post(`/v1/groups/${org}/budget`, { hard_limit_cents: 120 }), 200, 201);
  await must(admin.post(`/v1/groups/${team}/budget`, { hard_limit_cents: 60 }), 200, 201);
  const agents: Agent[] = [];
  for (let i = 0; i < 10; i++) {
    const group = i < 5 ? 'team' : i < 8 ? 'org' : null;
    const created = await must(
      admin.post('/v1/agents', {
        name: `levels-${i}`,
        concurrency: i % 2 === 0 ? 'parallel' : 'exclusive',
        ...(group ? { group_id: group === 'team' ? team : org } : {}),
      }),
      201,
    );
    await must(admin.post(`/v1/agents/${created.agent_id}/budget`, { hard_limit_cents: i % 3 === 0 ? 15 : 30 }), 200, 201);
    const run = i === 0 || i === 5 || i === 8 ? (await must(admin.post(`/v1/agents/${created.agent_id}/runs`, { budget_cents: 5 }), 201)).run_id : null;
    agents.push({ id: created.agent_id, group, run });
  }
  // Every instance has looked up the key and the agents once, so none starts the race late.
  for (const client of clients) for (const a of agents) await must(client.get(`/v1/agents/${a.id}/budget`), 200);
  return { id: tenant.tenant_id, clients, team, org, agents };
}

interface Row {
  id: string;
  level: string;
  owner_id: string;
  limit: bigint;
  remaining: bigint;
  reserved: bigint;
  spent: bigint;
  credited: bigint;
}

async function budgetRows(pool: Pool, tenantId: string): Promise<Row[]> {
  const { rows } = await pool.query(
    `SELECT id, level, owner_id, hard_limit_microcents, remaining_microcents, reserved_microcents, spent_microcents, credited_microcents
       FROM budgets WHERE tenant_id = $1`,
    [tenantId],
  );
  return rows.map((r) => ({
    id: r.id,
    level: r.level,
    owner_id: r.owner_id,
    limit: BigInt(r.hard_limit_microcents),
    remaining: BigInt(r.remaining_microcents),
    reserved: BigInt(r.reserved_microcents),
    spent: BigInt(r.spent_microcents),
    credited: BigInt(r.credited_microcents),
  }));
}

/** Samples every budget row of the tenant until stopped; returns the rows seen past a ceiling. */
function sampleCeilings(tenantId: string) {
  let running = true;
  let samples = 0;
  const breaches: string[] = [];
  const done = (async () => {
    while (running) {
      for (const r of await budgetRows(c.pool, tenantId)) {
        // Nothing was ever credited past the limit here, so spent + reserved ≤ credited ≤ limit.
        if (r.remaining < 0n || r.remaining + r.reserved > r.limit || r.spent + r.reserved > r.limit) {
          breaches.push(`${r.level} ${r.owner_id}: remaining ${r.remaining} reserved ${r.reserved} spent ${r.spent} limit ${r.limit}`);
        }
      }
      samples++;
      await sleep(10);
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return { samples, breaches };
    },
  };
}

/** 500 calls started over ~3 s, round-robin over the instances and the agents. */
function load(t: Tenant, onStarted?: (i: number) => void) {
  return Array.from({ length: CALLS }, async (_, i) => {
    await sleep(Math.floor((i / CALLS) * 3_000));
    onStarted?.(i);
    const a = t.agents[i % t.agents.length];
    const headers: Record<string, string> = { 'x-cynsta-agent-id': a.id, ...(a.run ? { 'x-cynsta-run-id': a.run } : {}) };
    try {
      const r = await t.clients[i % 3].post('/v1/chat/completions', chatBody(a.id, { max_tokens: 8_000 }), { headers });
      return { status: r.status as number | string, body: r.body, agent: a };
    } catch {
      return { status: 'connection lost' as number | string, body: null, agent: a };
    }
  });
}

/** What each level spent must follow from the reservations: checked on the database itself. */
async function checkLevels(t: Tenant) {
  const rows = await budgetRows(c.pool, t.id);
  const byOwner = new Map(rows.map((r) => [r.owner_id, r]));
  const agentSpent = (pred: (a: Agent) => boolean) => t.agents.filter(pred).reduce((s, a) => s + byOwner.get(a.id)!.spent, 0n);
  for (const r of rows) {
    expect({ row: r.owner_id, reserved: r.reserved }).toEqual({ row: r.owner_id, reserved: 0n });
    expect(r.spent).toBeLessThanOrEqual(r.limit);
    expect(r.spent + r.remaining).toBe(r.credited);
  }
  expect(byOwner.get(t.team)!.spent).toBe(agentSpent((a) => a.group === 'team'));
  expect(byOwner.get(t.org)!.spent).toBe(agentSpent((a) => a.group !== null));
  expect(byOwner.get(t.id)!.spent).toBe(agentSpent(() => true));
  for (const a of t.agents.filter((x) => x.run)) expect(byOwner.get(`${a.id}/${a.run}`)!.spent).toBe(byOwner.get(a.id)!.spent);

  // Every reservation charged (and gave back) one amount on every level it held on.
  const { rows: uneven } = await c.pool.query(
    `SELECT e.reservation_id, e.kind, count(DISTINCT e.amount_microcents) AS amounts, count(*) AS entries, cardinality(r.budget_ids) AS levels
       FROM ledger_entries e JOIN reservations r ON r.id = e.reservation_id
      WHERE e.tenant_id = $1 AND e.kind IN ('settle', 'expire', 'release')
      GROUP BY e.reservation_id, e.kind, r.budget_ids
     HAVING count(DISTINCT e.amount_microcents) > 1 OR count(*) <> cardinality(r.budget_ids)`,
    [t.id],
  );
  expect(uneven).toEqual([]);
  expect(await openReservations(c.pool)).toBe(0);
  expect(await brokenInvariants(c.pool)).toEqual([]);
  return rows;
}

function summarize(results: { status: number | string; body: any }[]) {
  const statuses: Record<string, number> = {};
  const refusedBy: Record<string, number> = {};
  for (const r of results) {
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.status === 402) refusedBy[r.body.level] = (refusedBy[r.body.level] ?? 0) + 1;
  }
  return { statuses, refusedBy };
}

function spentByLevel(t: Tenant, rows: Row[]) {
  const name = (r: Row) => (r.owner_id === t.id ? 'tenant' : r.owner_id === t.org ? 'org' : r.owner_id === t.team ? 'team' : `${r.level}:${r.owner_id.slice(0, 8)}`);
  return Object.fromEntries(rows.map((r) => [name(r), `${r.spent} / ${r.limit}`]));
}

it(`${CALLS} calls over 3 instances on 10 agents in 2 nested groups under a tenant budget, with run budgets: no level over`, async () => {
  const t = await setUpTenant('levels-load');
  c.fake.reset();
  c.fake.setBehavior({ usage: { input: 5 }, defaultOutputTokens: 8_000, latencyMs: 20 });
  const sampler = sampleCeilings(t.id);
  const started = Date.now();
  const results = await Promise.all(load(t));
  const elapsedMs = Date.now() - started;
  const sampled = await sampler.stop();
  expect(sampled.breaches).toEqual([]);
  const { statuses, refusedBy } = summarize(results);
  expect((statuses[200] ?? 0) + (statuses[402] ?? 0) + (statuses[409] ?? 0)).toBe(CALLS);
  for (const r of results.filter((x) => x.status === 402)) {
    expect(['tenant', 'group', 'agent', 'run']).toContain(r.body.level);
    expect(r.body.required_cents).toBeGreaterThan(r.body.remaining_cents);
  }
  expect(statuses[402] ?? 0).toBeGreaterThan(0); // the demand (~240 ¢) is well past the tenant's 100 ¢
  expect(Object.keys(refusedBy).length).toBeGreaterThanOrEqual(2); // the limits bind on several levels

  const rows = await checkLevels(t);
  const charged = c.fake.received.reduce((s, r) => s + BigInt(r.usage!.input * 15 + r.usage!.output * 60), 0n);
  expect(rows.find((r) => r.owner_id === t.id)!.spent).toBe(charged);
  expect(c.fake.requestCount).toBe(statuses[200]);
  recordFigures('levels-under-load', {
    calls: CALLS,
    instances: 3,
    agents: '10 (5 in team ⊂ org, 3 in org, 2 in no group; even ones parallel, odd ones exclusive; 3 in runs of 5 ¢)',
    statuses,
    refused_by_level: refusedBy,
    spent_over_limit_microcents: spentByLevel(t, rows),
    provider_charged_microcents: charged,
    ceiling_samples: sampled.samples,
    ceiling_breaches: sampled.breaches.length,
    open_reservations_after: 0,
    elapsed_ms: elapsedMs,
  });
}, 120_000);

it('the same with an instance killed (SIGKILL) mid-load: its holds expire in full on every level, no level over', async () => {
  const t = await setUpTenant('levels-kill');
  c.fake.reset();
  // Longer answers, so that the victim has calls in flight on every level when it dies.
  c.fake.setBehavior({ usage: { input: 5 }, defaultOutputTokens: 8_000, latencyMs: 400 });
  const sampler = sampleCeilings(t.id);
  let killedAt = 0;
  let heldWhenKilled = 0;
  const kill = (async () => {
    await sleep(1_500);
    heldWhenKilled = Number((await c.pool.query(`SELECT count(*) FROM reservations WHERE status = 'open' AND tenant_id = $1`, [t.id])).rows[0].count);
    killedAt = Date.now();
    expect(await c.instances[0].stop('SIGKILL')).toBeNull();
  })();
  const results = await Promise.all(load(t));
  await kill;
  const { ms: sweptAfterMs } = await waitFor(async () => (await openReservations(c.pool)) === 0, (TTL_SECONDS + 15) * 1000, 100);
  const sampled = await sampler.stop();
  expect(sampled.breaches).toEqual([]);
  expect(heldWhenKilled).toBeGreaterThan(0);
  const { statuses, refusedBy } = summarize(results);
  expect(statuses['connection lost'] ?? 0).toBeGreaterThan(0);

  const rows = await checkLevels(t);
  const { rows: expired } = await c.pool.query(
    `SELECT count(DISTINCT e.reservation_id)::int AS n, count(*) FILTER (WHERE e.amount_microcents <> -r.amount_microcents)::int AS partial
       FROM ledger_entries e JOIN reservations r ON r.id = e.reservation_id WHERE e.tenant_id = $1 AND e.kind = 'expire'`,
    [t.id],
  );
  expect(expired[0].n).toBeGreaterThan(0);
  expect(expired[0].partial).toBe(0); // charged in full on every level
  const tenantRow = rows.find((r) => r.owner_id === t.id)!;
  expect(tenantRow.spent).toBeLessThanOrEqual(BigInt(CALLS) * BigInt(PER_CALL_WORST));
  recordFigures('levels-under-load-sigkill', {
    calls: CALLS,
    instances: '3, one killed with SIGKILL 1.5 s into the load',
    statuses,
    refused_by_level: refusedBy,
    holds_open_when_killed: heldWhenKilled,
    holds_expired_in_full: expired[0].n,
    all_holds_closed_after_kill_ms: Date.now() - killedAt,
    waited_for_sweep_ms: sweptAfterMs,
    spent_over_limit_microcents: spentByLevel(t, rows),
    ceiling_samples: sampled.samples,
    ceiling_breaches: sampled.breaches.length,
    open_reservations_after: 0,
  });
}, 120_000);
