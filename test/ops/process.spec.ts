// The service as a process: `npm start` on a fresh checkout (embedded PostgreSQL, data reused on
// restart), config errors at boot, graceful shutdown.
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { freePort, runToExit, spawnInstance } from '../support/spawn-instance';
import { createTestDatabase } from '../support/test-database';

describe('starting the service', () => {
  it('stops at boot with one clear line per bad config value', async () => {
    const { code, output } = await runToExit({ CAP_MODE: 'hosted', PORT: 'x' });
    expect(code).toBe(1);
    const lines = output.trim().split('\n');
    expect(lines).toEqual([
      'config: PORT: Invalid input: expected number, received NaN (got "x")',
    ]);
  });

  it('runs a zero-set-up sidecar on an embedded PostgreSQL and keeps its data across restarts', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sg-sidecar-'));
    chmodSync(dataDir, 0o755); // the embedded server runs as the `postgres` user when we are root
    const env = { CAP_DATA_DIR: dataDir, CAP_EMBEDDED_PG_PORT: String(await freePort()), CAP_LOG_LEVEL: 'info' };

    const first = await spawnInstance(env, 120_000);
    let agentId: string;
    try {
      expect(first.output()).toContain('"mode":"sidecar"');
      expect(first.output()).toContain(`embedded PostgreSQL in ${dataDir}`);
      agentId = (await first.http.post('/v1/agents', { name: 'persisted' })).body.agent_id;
      const set = await first.http.post(`/v1/agents/${agentId}/budget`, { hard_limit_cents: 5000, topup_cents: 5000 });
      expect(set.body.remaining_cents).toBe(5000);
    } finally {
      expect(await first.stop('SIGTERM')).toBe(0);
    }

    const second = await spawnInstance(env, 120_000);
    try {
      const budget = await second.http.get(`/v1/agents/${agentId}/budget`);
      expect(budget.status).toBe(200);
      expect(budget.body.remaining_cents).toBe(5000);
    } finally {
      expect(await second.stop('SIGTERM')).toBe(0);
    }
  });

  it('shuts down gracefully on SIGTERM: lets an in-flight request finish, then exits 0', async () => {
    const url = await createTestDatabase();
    const instance = await spawnInstance({ DATABASE_URL: url });
    const agentId = (await instance.http.post('/v1/agents', {})).body.agent_id;
    await instance.http.post(`/v1/agents/${agentId}/budget`, { hard_limit_cents: 100, topup_cents: 10 });
    const blocker = new Client({ connectionString: url });
    await blocker.connect();
    try {
      // Hold the budget row so the top-up is still in flight when SIGTERM arrives.
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM budgets WHERE agent_id = $1 FOR UPDATE', [agentId]);
      const inflight = instance.http.post(`/v1/agents/${agentId}/budget/topup`, { amount_cents: 5 });
      await new Promise((r) => setTimeout(r, 300));
      const exited = instance.stop('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      expect(instance.process.exitCode).toBeNull(); // still draining
      await blocker.query('COMMIT');
      const res = await inflight;
      expect(res.status).toBe(200);
      expect(res.body.remaining_cents).toBe(15);
      expect(await exited).toBe(0);
    } finally {
      await blocker.end();
    }
  });
});
