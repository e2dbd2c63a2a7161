// Where the test suite finds its servers: DATABASE_URL / REDIS_URL when set, else the local ones.
// Each run makes databases of its own (named after SG_TEST_RUN), so runs never collide.
export const SERVER_DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export function databaseUrl(name: string): string {
  const url = new URL(SERVER_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export function runId(): string {
  const id = process.env.SG_TEST_RUN;
  if (!id) throw new Error('SG_TEST_RUN is unset: run the integration tests through jest (globalSetup sets it)');
  return id;
}

export const templateDatabase = () => `sg_test_${runId()}_template`;
