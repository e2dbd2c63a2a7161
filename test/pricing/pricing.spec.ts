// Signed pricing (SPEC §6) in the running service: sources, verification, refresh with ETag,
// fail-closed, and the last verified table kept in Postgres for restarts without network.
import { readFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import * as path from 'node:path';
import { PricingService } from '../../src/pricing/pricing.service';
import { generateKeyPair, signPriceDocument } from '../../src/pricing/signature';
import { TEST_PRIVATE_KEY, TEST_PUBLIC_KEY, VECTORS_DIR } from '../support/pricing-fixtures';
import { createTestDatabase } from '../support/test-database';
import { startTestApp, TestApp } from '../support/test-app';

const vector = (name: string) => path.join(VECTORS_DIR, name);
const EXPECTED: Record<string, string> = JSON.parse(readFileSync(vector('expected.json'), 'utf8'));

/** A price server under the test's control: serves `body` with an ETag, counts requests. */
class PriceServer {
  body = readFileSync(vector('valid-basic.json'), 'utf8');
  etag = '"v1"';
  requests: { ifNoneMatch?: string }[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      this.requests.push({ ifNoneMatch: req.headers['if-none-match'] as string | undefined });
      if (req.headers['if-none-match'] === this.etag) {
        res.writeHead(304).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', etag: this.etag }).end(this.body);
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/pricing.json`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const signed = (env: Record<string, string>) => ({ CAP_PRICING_SIGNING_PUBLIC_KEY: TEST_PUBLIC_KEY, ...env });

describe('the bundled table (zero-set-up sidecar)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('prices calls out of the box and says where its prices come from', async () => {
    const res = await t.http.get('/v1/pricing');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ available: true, source: 'bundled', verified: false, last_error: null });
    expect(res.body.version).toMatch(/^[0-9a-f]{16}$/);
    expect(res.body.rates.openai['gpt-4o-mini']).toMatchObject({ input_cents_per_1m: 15, output_cents_per_1m: 60 });
    expect(Object.keys(res.body.rates).sort()).toEqual(['anthropic', 'gemini', 'grok', 'openai']);
    expect((await t.http.get('/health/ready')).body.checks.pricing).toBe('ok');
  });
});

describe('CAP_PRICING_FILE: every seed vector gets its verdict', () => {
  it.each(Object.entries(EXPECTED))('%s → %s', async (file, verdict) => {
    const t = await startTestApp({ env: signed({ CAP_PRICING_FILE: vector(file) }) });
    try {
      const res = await t.http.get('/v1/pricing');
      if (verdict === 'valid') {
        expect(res.body).toMatchObject({ available: true, source: 'file', verified: true, last_error: null });
        const { rows } = await t.pool.query('SELECT version, source FROM price_tables');
        expect(rows).toEqual([{ version: res.body.version, source: 'file' }]);
      } else {
        expect(res.body).toMatchObject({ available: false, source: null, verified: false, rates: {} });
        expect(res.body.last_error).toContain(verdict === 'expired' ? 'expired' : 'bad_signature');
        // Fail closed: nothing is priced, readiness says so, the admin API keeps working.
        expect(() => t.app.get(PricingService).require()).toThrow(/no verified, unexpired price table/);
        const ready = await t.http.get('/health/ready');
        expect(ready.status).toBe(503);
        expect(ready.body.checks.pricing).toBe('down');
        expect((await t.http.post('/v1/agents', { name: 'still-works' })).status).toBe(201);
        const { rows } = await t.pool.query('SELECT count(*)::int AS n FROM price_tables');
        expect(rows[0].n).toBe(0);
      }
    } finally {
      await t.close();
    }
  });

  it('answers 503 pricing_unavailable, in the error shape, when asked to price without a table', async () => {
    const t = await startTestApp({ env: signed({ CAP_PRICING_FILE: vector('tampered-rate.json') }) });
    try {
      let error: unknown;
      try {
        t.app.get(PricingService).require();
      } catch (err) {
        error = err;
      }
      expect(error).toMatchObject({ status: 503, code: 'pricing_unavailable' });
    } finally {
      await t.close();
    }
  });
});

describe('CAP_PRICING_URL', () => {
  let server: PriceServer;
  beforeEach(async () => {
    server = new PriceServer();
    await server.start();
  });
  afterEach(() => server.stop());

  it('fetches, then refreshes with If-None-Match, and loads a new signed version when it changes', async () => {
    const t = await startTestApp({ env: signed({ CAP_PRICING_URL: server.url }) });
    try {
      const first = await t.http.get('/v1/pricing');
      expect(first.body).toMatchObject({ available: true, source: 'url', source_ref: server.url, verified: true });
      expect(server.requests).toEqual([{ ifNoneMatch: undefined }]);

      await t.app.get(PricingService).refresh();
      expect(server.requests[1]).toEqual({ ifNoneMatch: '"v1"' });
      expect((await t.http.get('/v1/pricing')).body.version).toBe(first.body.version);

      const doc = JSON.parse(server.body);
      doc.rates.openai['gpt-4o-mini'].output_cents_per_1m = 61;
      delete doc.signature;
      server.body = signPriceDocument(JSON.stringify(doc), TEST_PRIVATE_KEY);
      server.etag = '"v2"';
      await t.app.get(PricingService).refresh();
      const second = await t.http.get('/v1/pricing');
      expect(second.body.version).not.toBe(first.body.version);
      expect(second.body.rates.openai['gpt-4o-mini'].output_cents_per_1m).toBe(61);
    } finally {
      await t.close();
    }
  });

  it('keeps the table in force when a refresh brings a bad signature or fails', async () => {
    const t = await startTestApp({ env: signed({ CAP_PRICING_URL: server.url }) });
    try {
      const before = (await t.http.get('/v1/pricing')).body.version;
      server.body = readFileSync(vector('tampered-rate.json'), 'utf8');
      server.etag = '"tampered"';
      await t.app.get(PricingService).refresh();
      const after = await t.http.get('/v1/pricing');
      expect(after.body).toMatchObject({ available: true, version: before });
      expect(after.body.last_error).toContain('bad_signature');

      await server.stop();
      await t.app.get(PricingService).refresh();
      expect((await t.http.get('/v1/pricing')).body).toMatchObject({ available: true, version: before });
      await server.start(); // for afterEach
    } finally {
      await t.close();
    }
  });

  it('restarts without network on the last verified table kept in Postgres', async () => {
    const databaseUrl = await createTestDatabase();
    const first = await startTestApp({ databaseUrl, env: signed({ CAP_PRICING_URL: server.url }) });
    const version = (await first.http.get('/v1/pricing')).body.version;
    await first.close();

    const deadUrl = server.url;
    await server.stop();
    const second = await startTestApp({ databaseUrl, env: signed({ CAP_PRICING_URL: deadUrl, CAP_PRICING_FETCH_TIMEOUT_MS: '500' }) });
    try {
      const res = await second.http.get('/v1/pricing');
      expect(res.body).toMatchObject({ available: true, source: 'stored', verified: true, version });
      expect(res.body.last_error).toMatch(/fetch failed|ECONNREFUSED/);
    } finally {
      await second.close();
      await server.start();
    }
  });

  it('does not restore a stored table signed by a key no longer trusted', async () => {
    const databaseUrl = await createTestDatabase();
    const first = await startTestApp({ databaseUrl, env: signed({ CAP_PRICING_URL: server.url }) });
    await first.close();
    await server.stop();
    const otherKey = generateKeyPair().publicKeyB64;
    const second = await startTestApp({
      databaseUrl,
      env: { CAP_PRICING_URL: server.url, CAP_PRICING_SIGNING_PUBLIC_KEY: otherKey, CAP_PRICING_FETCH_TIMEOUT_MS: '500' },
    });
    try {
      expect((await second.http.get('/v1/pricing')).body.available).toBe(false);
    } finally {
      await second.close();
      await server.start();
    }
  });
});
