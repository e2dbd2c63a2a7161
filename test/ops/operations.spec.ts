// Health, readiness, metrics, request ids and structured logs (SPEC §9).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { freePort, spawnInstance } from '../support/spawn-instance';
import { createTestDatabase } from '../support/test-database';
import { startTestApp, TestApp } from '../support/test-app';

describe('health and readiness', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ redis: true });
  });
  afterAll(() => t.close());

  it('answers the seed probe', async () => {
    const res = await t.http.get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('is ready when the database and Redis answer', async () => {
    const res = await t.http.get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', checks: { database: 'ok', redis: 'ok', pricing: 'ok' } });
  });

  it('is not ready (503) when Redis is unreachable', async () => {
    const down = await startTestApp({ env: { REDIS_URL: `redis://127.0.0.1:${await freePort()}` } });
    try {
      const res = await down.http.get('/health/ready');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ status: 'unavailable', checks: { database: 'ok', redis: 'down', pricing: 'ok' } });
      // The process itself is still up.
      expect((await down.http.get('/health')).status).toBe(200);
    } finally {
      await down.close();
    }
  });
});

describe('metrics', () => {
  it('counts requests by route pattern and status and shows open reservations', async () => {
    const t = await startTestApp();
    try {
      await t.http.post('/v1/agents', {});
      await t.http.get('/v1/agents/00000000-0000-0000-0000-00000000dead');
      const res = await t.http.get('/metrics');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      expect(res.text).toMatch(/spendguard_http_requests_total\{method="POST",route="\/v1\/agents",status="201"\} 1/);
      expect(res.text).toMatch(/spendguard_http_requests_total\{method="GET",route="\/v1\/agents\/:agent_id",status="404"\} 1/);
      expect(res.text).toMatch(/spendguard_reservations_open 0/);
      expect(res.text).toContain('spendguard_http_request_duration_seconds_bucket');
    } finally {
      await t.close();
    }
  });

  it('prefixes every family with spendguard_ once, and docs/metrics.md describes each', async () => {
    const t = await startTestApp();
    try {
      const families = [...(await t.http.get('/metrics')).text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
      expect(families).toContain('spendguard_process_cpu_user_seconds_total');
      expect(families).toContain('spendguard_nodejs_heap_size_used_bytes');
      expect(families.filter((name) => !name.startsWith('spendguard_'))).toEqual([]);
      // A doubled segment (spendguard_process_process_…) is a prefix applied twice.
      expect(families.filter((name) => /(?:^|_)([a-z]+)_\1_/.test(name))).toEqual([]);
      const doc = readFileSync(path.join(__dirname, '../../docs/metrics.md'), 'utf8');
      expect(families.filter((name) => !doc.includes(`\`${name}\``))).toEqual([]);
      // The example alert rules name only series the service exposes (a histogram's _bucket, _sum, _count).
      const rules = parse(readFileSync(path.join(__dirname, '../../docs/prometheus/spendguard-rules.yml'), 'utf8')) as {
        groups: Array<{ rules: Array<{ expr: string }> }>;
      };
      const named = rules.groups.flatMap((g) => g.rules.flatMap((r) => r.expr.match(/\bspendguard_[a-z0-9_]+/g) ?? []));
      expect(named.length).toBeGreaterThan(0);
      expect(named.filter((name) => !families.includes(name.replace(/_(bucket|sum|count)$/, '')))).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

describe('request ids and logs', () => {
  it('echoes a request id, generating one when absent and keeping a safe one the client sent', async () => {
    const t = await startTestApp();
    try {
      const generated = await t.http.get('/health');
      expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const kept = await t.http.get('/health', { headers: { 'x-request-id': 'trace-abc.123' } });
      expect(kept.headers.get('x-request-id')).toBe('trace-abc.123');
      const unsafe = await t.http.get('/health', { headers: { 'x-request-id': 'evil\tvalue with spaces' } });
      expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const err = await t.http.get('/v1/agents/nope', { headers: { 'x-request-id': 'req-404' } });
      expect(err.body.request_id).toBe('req-404');
    } finally {
      await t.close();
    }
  });

  it('writes one JSON line per request with its request id, and never the API key', async () => {
    const key = 'log-test-operator-key-0123456789';
    const instance = await spawnInstance({ DATABASE_URL: await createTestDatabase(), CAP_API_KEY: key, CAP_LOG_LEVEL: 'info' });
    try {
      await instance.http.post('/v1/agents', { name: 'logged' }, { headers: { 'x-api-key': key, 'x-request-id': 'log-line-1' } });
      await instance.http.get('/v1/agents', { headers: { authorization: `Bearer ${key}`, 'x-request-id': 'log-line-2' } });
      await new Promise((r) => setTimeout(r, 200));
      const lines = instance
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      const line = lines.find((l) => l.request_id === 'log-line-1');
      expect(line).toMatchObject({ method: 'POST', route: '/v1/agents', status: 201 });
      expect(lines.some((l) => l.request_id === 'log-line-2')).toBe(true);
      expect(instance.output()).not.toContain(key);
    } finally {
      await instance.stop();
    }
  });
});

