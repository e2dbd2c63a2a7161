// The README's CI recipe, run as it is written there (bash, `spendguard` on PATH, curl through the
// service to the fake provider): a job within its budget passes and reports its spend; a job
// whose call does not fit its budget fails.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { useProxyStack } from '../support/proxy-stack';
import { bash, fields } from './cli-support';

const s = useProxyStack();

function recipe(): string {
  const readme = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
  const at = readme.indexOf('<!-- ci-recipe');
  expect(at).toBeGreaterThan(0);
  const block = /```bash\n([\s\S]*?)```/.exec(readme.slice(at));
  expect(block).not.toBeNull();
  return block![1];
}

describe('the README CI recipe', () => {
  it('passes a job that stays within its budget and prints the spend', async () => {
    s.fake.setBehavior({ usage: { input: 20, output: 100 } });
    const res = await bash(recipe(), { CAP_BASE_URL: s.t.url, GITHUB_RUN_ID: '4242' });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const out = fields(res.stdout);
    expect(out).toMatchObject({ status: 'idle', call_count: '1', hard_limit_cents: '200' });
    // 20 × 15 µ¢ + 100 × 60 µ¢ = 6,300 µ¢: a whole cent rounded up, the exact figure beside it.
    expect(out).toMatchObject({ spent_cents: '1', spent_microcents: '6300', remaining_cents: '199' });
    const agents = (await s.http.get('/v1/agents?limit=500')).body.agents;
    const agent = agents.find((a: { name: string }) => a.name === 'ci-4242');
    expect(agent.agent_id).toBe(out.agent_id);
    expect((await s.http.get(`/v1/agents/${agent.agent_id}/budget`)).body.spent_microcents).toBe('6300');
  });

  it('fails a job whose call would go over its budget, and spends nothing', async () => {
    // gpt-5.2 output is 1,400 µ¢ a token: 1,000 tokens cannot fit in 1 cent.
    const res = await bash(recipe(), { CAP_BASE_URL: s.t.url, BUDGET_CENTS: '1', MODEL: 'gpt-5.2', MAX_TOKENS: '1000' });
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('job over budget: remaining_cents=1\n');
    expect(fields(res.stdout)).toMatchObject({ call_count: '0', spent_cents: '0', remaining_cents: '1' });
    expect(s.fake.requestCount).toBe(0);
  });
});
