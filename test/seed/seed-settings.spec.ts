// ../shared/seed/SETTINGS.md in a running service (issue 11.1): the seed's CORS, its output caps,
// its pricing URL verified with Cynsta's published key, and the log line its playbook looks for.
import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import * as path from 'node:path';
import { VECTORS_DIR } from '../support/pricing-fixtures';
import { spawnInstance } from '../support/spawn-instance';
import { createTestDatabase } from '../support/test-database';
import { useProxyStack } from '../support/proxy-stack';

const s = useProxyStack({
  env: { CAP_ALLOWED_ORIGINS: 'http://localhost:3000,https://app.example.com', CAP_OPENAI_MAX_COMPLETION_TOKENS: '100', CAP_DEFAULT_MAX_OUTPUT_TOKENS: '33' },
});

describe('CAP_ALLOWED_ORIGINS: a browser app may call us', () => {
  it('answers a preflight from an allowed origin, for any method and header, and exposes our headers', async () => {
    const res = await fetch(`${s.t.url}/v1/agents`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'x-api-key, content-type, x-cynsta-agent-id' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(res.headers.get('access-control-allow-methods')).toContain('DELETE');
    expect(res.headers.get('access-control-allow-headers')).toBe('x-api-key, content-type, x-cynsta-agent-id');

    const agent = await s.agent(100);
    const call = await fetch(`${s.t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { origin: 'https://app.example.com', 'content-type': 'application/json', 'x-cynsta-agent-id': agent },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(call.status).toBe(200);
    expect(call.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(call.headers.get('access-control-expose-headers')).toContain('x-cynsta-remaining-cents');
  });

  it('gives another origin no CORS headers (the browser refuses the answer to it)', async () => {
    const res = await fetch(`${s.t.url}/v1/agents`, { headers: { origin: 'https://evil.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe("the seed's output caps", () => {
  it('CAP_OPENAI_MAX_COMPLETION_TOKENS caps OpenAI chat; CAP_DEFAULT_MAX_OUTPUT_TOKENS is the Responses default', async () => {
    const agent = await s.agent(1_000);
    const as = { headers: { 'x-cynsta-agent-id': agent } };
    const chat = await s.http.post('/v1/chat/completions', { model: 'gpt-4o-mini', max_tokens: 5_000, messages: [{ role: 'user', content: 'hi' }] }, as);
    expect(chat.headers.get('x-cynsta-max-tokens')).toBe('100');
    expect(s.fake.received.at(-1)!.body).toMatchObject({ max_tokens: 100 });
    const responses = await s.http.post('/v1/responses', { model: 'gpt-4o-mini', input: 'hi' }, as);
    expect(responses.headers.get('x-cynsta-max-tokens')).toBe('33');
    // Not an OpenAI route: the cap does not apply.
    const anthropic = await s.http.post('/v1/messages', { model: 'claude-opus-4-6', max_tokens: 5_000, messages: [{ role: 'user', content: 'hi' }] }, as);
    expect(anthropic.headers.get('x-cynsta-max-tokens')).toBe('5000');
  });
});

describe('CAP_PRICING_URL without a key', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    // Signed with the test key, not with Cynsta's: the seed's default key must refuse it.
    const body = readFileSync(path.join(VECTORS_DIR, 'valid-basic.json'), 'utf8');
    server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/public/pricing`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it("boots, verifies with the seed's published key, and logs the seed's line when it does not verify", async () => {
    const instance = await spawnInstance({ DATABASE_URL: await createTestDatabase(), CAP_PRICING_URL: url, CAP_LOG_LEVEL: 'info' });
    try {
      const pricing = await instance.http.get('/v1/pricing');
      expect(pricing.body.last_error ?? pricing.text).toMatch(/bad_signature/);
      const line = instance
        .output()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .find((l) => l.msg === 'Remote pricing signature verification failed');
      expect(line).toMatchObject({ level: 'error', source: url, reason: 'bad_signature' });
      // Fail closed: no verified table, metered calls are refused.
      const agent = (await instance.http.post('/v1/agents', {})).body.agent_id;
      await instance.http.post(`/v1/agents/${agent}/budget`, { hard_limit_cents: 10 });
      const call = await instance.http.post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [] }, { headers: { 'x-cynsta-agent-id': agent } });
      expect(call.body.error.code).toBe('pricing_unavailable');
    } finally {
      await instance.stop();
    }
  });
});
