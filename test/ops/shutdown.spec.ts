// SIGTERM (SPEC §9, README "Operations"): stop accepting, let in-flight calls settle, exit 0 —
// or exit 1 when calls still running at the end of CAP_SHUTDOWN_GRACE_MS had to be cut off, so
// that a supervisor can tell a clean stop from one that dropped answers.
import { FakeProvider, startFakeProvider } from '../fake-provider/fake-provider';
import { PROVIDER_KEYS } from '../support/proxy-stack';
import { Instance, spawnInstance } from '../support/spawn-instance';
import { createTestDatabase } from '../support/test-database';

let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider();
});
beforeEach(() => fake.reset());
afterAll(() => fake.close());

async function start(graceMs: number): Promise<{ instance: Instance; agentId: string }> {
  const instance = await spawnInstance({
    DATABASE_URL: await createTestDatabase(),
    CAP_SHUTDOWN_GRACE_MS: String(graceMs),
    CAP_LOG_LEVEL: 'info',
    ...PROVIDER_KEYS,
    ...fake.env(),
  });
  const { body: agent } = await instance.http.post('/v1/agents', { name: 'shutdown' });
  await instance.http.post(`/v1/agents/${agent.agent_id}/budget`, { hard_limit_cents: 1_000 });
  return { instance, agentId: agent.agent_id };
}

/** A metered call the fake provider answers after `latencyMs`. */
function slowCall(instance: Instance, agentId: string, latencyMs: number) {
  return instance.http.post(
    '/v1/chat/completions',
    { model: 'gpt-4o-mini', max_tokens: 20, messages: [{ role: 'user', content: `hi [[fake:latencyMs=${latencyMs}]]` }] },
    { headers: { 'x-cynsta-agent-id': agentId } },
  );
}

const logLines = (instance: Instance) =>
  instance
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));

describe('SIGTERM', () => {
  it('exits 0 when every in-flight call finishes within the grace', async () => {
    const { instance, agentId } = await start(15_000);
    try {
      const call = slowCall(instance, agentId, 1_500);
      await fake.waitForRequests(1);
      const exited = instance.stop('SIGTERM');
      const res = await call;
      expect(res.status).toBe(200);
      expect(res.body.choices[0].message.content).toBeTruthy();
      expect(await exited).toBe(0);
      expect(logLines(instance).some((l) => /cut off/.test(l.msg ?? ''))).toBe(false);
      expect(logLines(instance).find((l) => l.msg === 'stopped')).toMatchObject({ exit_code: 0 });
    } finally {
      await instance.stop('SIGKILL');
    }
  });

  it('exits 1 when a call is still running at the end of the grace, and says how many were cut off', async () => {
    const graceMs = 500;
    const { instance, agentId } = await start(graceMs);
    try {
      const call = slowCall(instance, agentId, 60_000).then(() => 'answered', () => 'cut off');
      await fake.waitForRequests(1);
      const signalled = Date.now();
      const code = await instance.stop('SIGTERM');
      expect(code).toBe(1);
      // Cut off at the grace, not after the call (or the fallback timer, grace + 10 s).
      expect(Date.now() - signalled).toBeLessThan(graceMs + 8_000);
      expect(await call).toBe('cut off');
      const line = logLines(instance).find((l) => /cut off/.test(l.msg ?? ''));
      expect(line).toMatchObject({ level: 'warn', cut_off: 1, grace_ms: graceMs });
      expect(logLines(instance).find((l) => l.msg === 'stopped')).toMatchObject({ exit_code: 1 });
    } finally {
      await instance.stop('SIGKILL');
    }
  });
});
