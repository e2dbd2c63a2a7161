// The Idempotency-Key record is written in the same transaction as the change it protects
// (issue 10 point 5): whatever fails, and wherever, a retry with the same key either replays
// the committed answer or runs once — never twice, and never "409 for a day" after a crash.
import { createConnection } from 'node:net';
import { Client, Pool } from 'pg';
import { spawnInstance } from '../support/spawn-instance';
import { createTestDatabase } from '../support/test-database';
import { expectLedgerBalanced, HttpClient, startTestApp, TestApp } from '../support/test-app';

/** Short, so that a read blocked on purpose fails fast (a statement timeout is a 503). */
const STATEMENT_TIMEOUT_MS = 1_000;

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { CAP_DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS) } });
});
afterEach(() => expectLedgerBalanced(t.pool));
afterAll(() => t.close());

const idem = (name: string) => `${name}-${Math.random().toString(36).slice(2)}`;

async function agentWithBudget(http: HttpClient, cents = 100): Promise<string> {
  const { body: agent } = await http.post('/v1/agents', {});
  const set = await http.post(`/v1/agents/${agent.agent_id}/budget`, { hard_limit_cents: 10_000, topup_cents: cents });
  expect(set.status).toBe(200);
  return agent.agent_id;
}

async function topupEntries(pool: Pool | Client, agentId: string): Promise<number> {
  const { rows } = await pool.query("SELECT count(*)::int AS n FROM ledger_entries WHERE agent_id = $1 AND kind = 'topup'", [agentId]);
  return rows[0].n;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Sends one request over a raw socket and hangs up as soon as it is written: its answer is lost. */
function sendAndHangUp(url: string, method: string, path: string, body: unknown, headers: Record<string, string>): Promise<void> {
  const { hostname, port } = new URL(url);
  const payload = JSON.stringify(body);
  const head = [
    `${method} ${path} HTTP/1.1`,
    `host: ${hostname}:${port}`,
    'content-type: application/json',
    `content-length: ${Buffer.byteLength(payload)}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: hostname, port: Number(port) }, () => {
      socket.write(`${head}\r\n\r\n${payload}`, () => {
        socket.destroy();
        resolve();
      });
    });
    socket.on('error', reject);
  });
}

describe('Idempotency-Key and failures', () => {
  it('a top-up whose answer fails after its credit was written is not credited: the retry runs once', async () => {
    const agentId = await agentWithBudget(t.http, 100);
    const key = idem('read-fails');
    const blocker = await t.pool.connect();
    try {
      // The budget read that builds the answer (it looks at open reservations) waits behind this
      // lock until the statement timeout: the credit is written, then the request fails.
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE reservations IN ACCESS EXCLUSIVE MODE');
      const failed = await t.http.post(`/v1/agents/${agentId}/budget/topup`, { amount_cents: 50 }, { headers: { 'idempotency-key': key } });
      expect(failed.status).toBe(503);
      expect(failed.body.error.code).toBe('database_unavailable');
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      blocker.release();
    }
    expect(await topupEntries(t.pool, agentId)).toBe(0);

    const retry = await t.http.post(`/v1/agents/${agentId}/budget/topup`, { amount_cents: 50 }, { headers: { 'idempotency-key': key } });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(retry.body.remaining_cents).toBe(150);
    expect(await topupEntries(t.pool, agentId)).toBe(1);
  });

  it('a top-up whose answer is lost after the commit is replayed, not credited again', async () => {
    const agentId = await agentWithBudget(t.http, 100);
    const key = idem('answer-lost');
    await sendAndHangUp(t.url, 'POST', `/v1/agents/${agentId}/budget/topup`, { amount_cents: 25 }, { 'idempotency-key': key });
    await waitFor('the top-up to commit', async () => (await topupEntries(t.pool, agentId)) === 1);
    await waitFor('its idempotency record', async () => {
      const { rows } = await t.pool.query('SELECT 1 FROM idempotency_keys WHERE key = $1', [key]);
      return rows.length === 1;
    });

    const retry = await t.http.post(`/v1/agents/${agentId}/budget/topup`, { amount_cents: 25 }, { headers: { 'idempotency-key': key } });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body.remaining_cents).toBe(125);
    expect((await t.http.get(`/v1/agents/${agentId}/budget`)).body.remaining_cents).toBe(125);
    expect(await topupEntries(t.pool, agentId)).toBe(1);
  });

  it('concurrent identical requests: exactly one runs, the others get 409 or its replay', async () => {
    const agentId = await agentWithBudget(t.http, 100);
    const key = idem('concurrent');
    const blocker = await t.pool.connect();
    let answers;
    try {
      // Keep the first one running while the others arrive.
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM budgets WHERE agent_id = $1 FOR UPDATE', [agentId]);
      const send = () => t.http.post(`/v1/agents/${agentId}/budget/topup`, { amount_cents: 7 }, { headers: { 'idempotency-key': key } });
      const first = send();
      await waitFor('the first top-up to wait on the budget row', async () => {
        const { rows } = await t.pool.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        );
        return rows[0].n >= 1;
      });
      const others = await Promise.all(Array.from({ length: 6 }, send));
      await blocker.query('COMMIT');
      answers = [await first, ...others, ...(await Promise.all(Array.from({ length: 3 }, send)))];
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      blocker.release();
    }
    const ran = answers.filter((a) => a.status === 200 && a.headers.get('idempotent-replayed') === null);
    const replayed = answers.filter((a) => a.status === 200 && a.headers.get('idempotent-replayed') === 'true');
    const busy = answers.filter((a) => a.status === 409);
    expect(ran).toHaveLength(1);
    expect(ran.length + replayed.length + busy.length).toBe(answers.length);
    expect(busy.length).toBeGreaterThanOrEqual(6);
    for (const b of busy) {
      expect(b.body.error.code).toBe('idempotency_in_progress');
      expect(b.headers.get('retry-after')).toBe('1');
    }
    expect(replayed.length).toBeGreaterThanOrEqual(3);
    for (const r of replayed) expect(r.body).toEqual(ran[0].body);
    expect(ran[0].body.remaining_cents).toBe(107);
    expect(await topupEntries(t.pool, agentId)).toBe(1);
  });

  it('a request killed mid-way leaves its key free: the retry runs once, no 409 left behind', async () => {
    const url = await createTestDatabase();
    const instance = await spawnInstance({ DATABASE_URL: url });
    const db = new Client({ connectionString: url });
    await db.connect();
    const blocker = new Client({ connectionString: url });
    await blocker.connect();
    let after: TestApp | undefined;
    try {
      const agentId = await agentWithBudget(instance.http, 100);
      const key = idem('killed');
      // Hold the budget row so the top-up is mid-way (inside its transaction) when the process dies.
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM budgets WHERE agent_id = $1 FOR UPDATE', [agentId]);
      const lost = instance.http
        .post(`/v1/agents/${agentId}/budget/topup`, { amount_cents: 30 }, { headers: { 'idempotency-key': key } })
        .then(() => 'answered', () => 'lost');
      await waitFor('the top-up to wait on the budget row', async () => {
        const { rows } = await db.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
        return rows[0].n >= 1;
      });
      await instance.stop('SIGKILL');
      expect(await lost).toBe('lost');
      await blocker.query('COMMIT');

      after = await startTestApp({ databaseUrl: url });
      let retry;
      // The killed instance's backend notices its client is gone once the row is free, and rolls back.
      for (let i = 0; i < 100; i++) {
        retry = await after.http.post(`/v1/agents/${agentId}/budget/topup`, { amount_cents: 30 }, { headers: { 'idempotency-key': key } });
        if (retry.status !== 409) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(retry!.status).toBe(200);
      expect(retry!.headers.get('idempotent-replayed')).toBeNull();
      expect(retry!.body.remaining_cents).toBe(130);
      expect(await topupEntries(db, agentId)).toBe(1);
      await expectLedgerBalanced(after.pool);
    } finally {
      await instance.stop('SIGKILL');
      await blocker.end();
      await db.end();
      await after?.close();
    }
  });
});
