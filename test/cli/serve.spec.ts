// `spendguard serve` starts the service, as `npm start` does: on a free port and a fresh
// database it answers /health, takes CLI commands, and stops cleanly on SIGTERM.
import { spawn } from 'node:child_process';
import { freePort } from '../support/spawn-instance';
import { createTestDatabase } from '../support/test-database';
import { BIN, fields, spendguard } from './cli-support';

describe('spendguard serve', () => {
  it('starts a working service and stops on SIGTERM', async () => {
    const port = await freePort();
    const databaseUrl = await createTestDatabase();
    const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port), '--host', '127.0.0.1'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: databaseUrl, CAP_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not start:\n${output}`)), 60_000);
        child.stdout.on('data', () => {
          if (output.includes('SpendGuard listening on')) {
            clearTimeout(timer);
            resolve();
          }
        });
        void exited.then((code) => reject(new Error(`serve exited with ${code}:\n${output}`)));
      });
      expect(output).toContain(`http://127.0.0.1:${port}`);
      const url = `http://127.0.0.1:${port}`;
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });

      const agent = await spendguard(['agent', 'create', '--name', 'served'], { CAP_BASE_URL: url });
      expect(agent.code).toBe(0);
      const budget = await spendguard(['budget', 'set', '--agent', fields(agent.stdout).agent_id, '--limit', '10'], { CAP_BASE_URL: url });
      expect(fields(budget.stdout).remaining_cents).toBe('10');
    } finally {
      if (child.exitCode === null) child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('refuses a bad port as a usage error', async () => {
    expect((await spendguard(['serve', '--port', 'eighty'])).code).toBe(2);
  });
});
