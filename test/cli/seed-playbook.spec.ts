// The seed's own instructions, run as written (bash, with `spendguard` on PATH as `pip install
// cynsta-spendguard` put it there): SKILL.md's quick start and validation checks, the
// strict-budget quickstart, and the error playbook's commands for 402, 409 and 400. Only
// `<agent_id>` and friends are filled in; the hosted-mode entry is in hosted-commands.spec.ts.
import { useProxyStack } from '../support/proxy-stack';
import { bash, CliResult, eventually, fields } from './cli-support';

const s = useProxyStack();

/** Runs one command line of the seed's docs, its placeholders filled in. */
async function asWritten(line: string, values: Record<string, string> = {}): Promise<CliResult> {
  const filled = line.replace(/<(\w+)>/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`no value for <${name}> in: ${line}`);
    return values[name];
  });
  return bash(filled, { CAP_BASE_URL: s.t.url });
}

const chat = (agent: string, body: object, extra = '') =>
  `curl -s -o /dev/null -w '%{http_code}' -X POST "$CAP_BASE_URL/v1/chat/completions" -H "Content-Type: application/json" ${extra} ` +
  `-H "x-cynsta-agent-id: ${agent}" -d '${JSON.stringify(body)}'`;

describe("the seed's SKILL.md", () => {
  it('quick start: create an agent, set and read its budget; a call through the sidecar lowers what remains', async () => {
    const health = await bash('curl -s "$CAP_BASE_URL/health"', { CAP_BASE_URL: s.t.url });
    expect(health.stdout).toBe('{"status":"ok"}');

    const created = await asWritten('spendguard agent create --name "my-agent"');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^agent_id=[0-9a-f-]{36}\n$/);
    const agent_id = fields(created.stdout).agent_id;

    const set = await asWritten('spendguard budget set --agent <agent_id> --limit 5000 --topup 5000', { agent_id });
    expect(set.stdout).toBe(`agent_id=${agent_id}\nhard_limit_cents=5000\nremaining_cents=5000\nlocked_cents=0\nlocked_run_id=None\nlocked_expires_at=None\n`);
    const get = await asWritten('spendguard budget get --agent <agent_id>', { agent_id });
    expect(fields(get.stdout).remaining_cents).toBe('5000');

    // Validate: one mocked model call succeeds through the sidecar; remaining goes down once settled.
    s.fake.setBehavior({ usage: { input: 10_000, output: 10_000 } });
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'lorem '.repeat(12_000) }], max_tokens: 10_000 };
    expect((await bash(chat(agent_id, body), { CAP_BASE_URL: s.t.url })).stdout).toBe('200');
    await eventually(async () => (await s.http.get(`/v1/agents/${agent_id}/budget`)).body.in_flight === 0);
    const after = await asWritten('spendguard budget get --agent <agent_id>', { agent_id });
    // 10,000 × 15 µ¢ + 10,000 × 60 µ¢ = 750,000 µ¢: under a cent, and remaining rounds down.
    expect(fields(after.stdout).remaining_cents).toBe('4999');
  });

  it('the bootstrap script, as our bootstrap command', async () => {
    const res = await asWritten('spendguard bootstrap --name my-agent --limit 5000 --topup 5000');
    expect(res.code).toBe(0);
    const out = fields(res.stdout);
    expect(out).toMatchObject({ hard_limit_cents: '5000', remaining_cents: '5000', export_SPENDGUARD_AGENT_ID: out.agent_id });
  });
});

describe("the seed's strict-budget quickstart", () => {
  it('creates agent-1 with a 5000-cent budget and reads it back', async () => {
    const agent_id = fields((await asWritten('spendguard agent create --name "agent-1"')).stdout).agent_id;
    await asWritten('spendguard budget set --agent <agent_id> --limit 5000 --topup 5000', { agent_id });
    expect(fields((await asWritten('spendguard budget get --agent <agent_id>', { agent_id })).stdout)).toMatchObject({
      agent_id,
      hard_limit_cents: '5000',
      remaining_cents: '5000',
    });
    const list = await asWritten('spendguard agent list');
    expect(list.stdout).toContain(`agent_id=${agent_id} name=agent-1 created_at=`);
  });
});

describe("the seed's error playbook", () => {
  it('402 Insufficient budget: check the budget, raise it, and the call goes through', async () => {
    const agent_id = fields((await asWritten('spendguard agent create --name "agent-1"')).stdout).agent_id;
    await asWritten('spendguard budget set --agent <agent_id> --limit 1 --topup 1', { agent_id });
    const big = { model: 'gpt-5.2', messages: [{ role: 'user', content: 'hello' }], max_tokens: 1000 };
    expect((await bash(chat(agent_id, big, "-H 'x-cynsta-clamp: off'"), { CAP_BASE_URL: s.t.url })).stdout).toBe('402');

    const check = await asWritten('spendguard budget get --agent <agent_id>', { agent_id });
    expect(fields(check.stdout)).toMatchObject({ hard_limit_cents: '1', remaining_cents: '1' });
    const raise = await asWritten('spendguard budget set --agent <agent_id> --limit <new_limit> --topup <topup>', { agent_id, new_limit: '100', topup: '99' });
    expect(fields(raise.stdout)).toMatchObject({ hard_limit_cents: '100', remaining_cents: '100' });
    expect((await bash(chat(agent_id, big, "-H 'x-cynsta-clamp: off'"), { CAP_BASE_URL: s.t.url })).stdout).toBe('200');
  });

  it('409 locked by an in-flight run: budget get shows the lock; it clears when the run settles', async () => {
    const agent_id = fields((await asWritten('spendguard agent create --name "agent-1"')).stdout).agent_id;
    await asWritten('spendguard budget set --agent <agent_id> --limit 100 --topup 100', { agent_id });
    s.fake.setBehavior({ latencyMs: 1_500 });
    const small = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 20 };
    const first = s.http.post('/v1/chat/completions', small, { headers: { 'x-cynsta-agent-id': agent_id, 'x-cynsta-run-id': 'run-holder' } });
    await s.fake.waitForRequests(1);
    expect((await bash(chat(agent_id, small), { CAP_BASE_URL: s.t.url })).stdout).toBe('409');
    const locked = fields((await asWritten('spendguard budget get --agent <agent_id>', { agent_id })).stdout);
    expect(locked.locked_run_id).toBe('run-holder');
    expect(Number(locked.locked_cents)).toBeGreaterThan(0);
    expect(locked.locked_expires_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await first).status).toBe(200);
    s.fake.setBehavior({ latencyMs: 0 });
    // A different agent ID for concurrent isolated workloads, as the playbook says.
    const other = fields((await asWritten('spendguard agent create --name "agent-2"')).stdout).agent_id;
    await asWritten('spendguard budget set --agent <agent_id> --limit 100 --topup 100', { agent_id: other });
    expect((await bash(chat(other, small), { CAP_BASE_URL: s.t.url })).stdout).toBe('200');
  });

  it('400 Missing x-cynsta-agent-id header: the fix is to add it', async () => {
    const agent_id = fields((await asWritten('spendguard agent create --name "agent-1"')).stdout).agent_id;
    await asWritten('spendguard budget set --agent <agent_id> --limit 100 --topup 100', { agent_id });
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }], max_tokens: 64 };
    const missing = await bash(
      `curl -s -X POST "$CAP_BASE_URL/v1/chat/completions" -H "Content-Type: application/json" -d '${JSON.stringify(body)}'`,
      { CAP_BASE_URL: s.t.url },
    );
    expect(JSON.parse(missing.stdout).detail).toMatch(/x-cynsta-agent-id/);
    expect((await bash(chat(agent_id, body), { CAP_BASE_URL: s.t.url })).stdout).toBe('200');
  });
});
