// Starts the real application (real Postgres, real Redis when asked) on a random port, and
// talks to it over real HTTP, as a client would.
import { randomBytes } from 'node:crypto';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { checkLedgerInvariant } from '../../src/budgets/ledger-invariant';
import { AppConfig } from '../../src/config/config.schema';
import { loadConfig } from '../../src/config/load-config';
import { closeGracefully } from '../../src/common/http/graceful-close';
import { createApp } from '../../src/create-app';
import { createTestDatabase, testPool } from './test-database';
import { SIGNED_PRICING_ENV } from './pricing-fixtures';
import { TEST_REDIS_URL } from './test-env';

export interface TestApp {
  app: NestFastifyApplication;
  url: string;
  databaseUrl: string;
  config: AppConfig;
  pool: Pool;
  http: HttpClient;
  close(): Promise<void>;
}

export interface TestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is, without JSON encoding or a content-type of our choosing. */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Gives up on the request (a test's bound on a hang). */
  signal?: AbortSignal;
}

export class HttpClient {
  constructor(
    readonly baseUrl: string,
    private readonly defaultHeaders: Record<string, string> = {},
  ) {}

  withHeaders(headers: Record<string, string>): HttpClient {
    return new HttpClient(this.baseUrl, { ...this.defaultHeaders, ...headers });
  }

  async request<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<TestResponse<T>> {
    const headers: Record<string, string> = { ...this.defaultHeaders, ...opts.headers };
    let body: string | undefined = opts.rawBody;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body, signal: opts.signal });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  get<T = any>(path: string, opts?: RequestOptions) {
    return this.request<T>('GET', path, opts);
  }
  post<T = any>(path: string, body?: unknown, opts: RequestOptions = {}) {
    return this.request<T>('POST', path, { ...opts, body });
  }
  patch<T = any>(path: string, body?: unknown, opts: RequestOptions = {}) {
    return this.request<T>('PATCH', path, { ...opts, body });
  }
  delete<T = any>(path: string, opts?: RequestOptions) {
    return this.request<T>('DELETE', path, opts);
  }
}

export interface TestAppOptions {
  env?: Record<string, string | undefined>;
  /** Use the real Redis at REDIS_URL (default: none, as a plain sidecar). */
  redis?: boolean;
  /** Reuse an existing database instead of a fresh one (several instances on one ledger). */
  databaseUrl?: string;
}

export async function startTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const url = opts.databaseUrl ?? (await createTestDatabase());
  const config = loadConfig({
    DATABASE_URL: url,
    PORT: '0',
    CAP_LOG_LEVEL: 'silent',
    CAP_REDIS_KEY_PREFIX: `sgtest:${randomBytes(4).toString('hex')}:`,
    ...(opts.redis ? { REDIS_URL: TEST_REDIS_URL } : {}),
    // Hosted mode requires a signed pricing source.
    ...(opts.env?.CAP_MODE === 'hosted' ? SIGNED_PRICING_ENV : {}),
    ...opts.env,
  });
  const app = await createApp(config, url);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${address.port}`;
  const pool = testPool(url);
  return {
    app,
    url: baseUrl,
    databaseUrl: url,
    config,
    pool,
    http: new HttpClient(baseUrl),
    async close() {
      await closeGracefully(app, 500);
      await pool.end();
    },
  };
}

/** SPEC §5, checked for every agent of the database, to the microcent. */
export async function expectLedgerBalanced(pool: Pool): Promise<void> {
  const reports = await checkLedgerInvariant(pool);
  const broken = reports.filter((r) => !r.ok);
  expect(broken).toEqual([]);
}
