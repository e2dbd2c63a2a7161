// A fresh, migrated database for one test file, cloned from the run's template.
import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { databaseUrl, runId, SERVER_DATABASE_URL, templateDatabase } from './test-env';

export async function createTestDatabase(): Promise<string> {
  const name = `sg_test_${runId()}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: SERVER_DATABASE_URL });
  await admin.connect();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE ${name} TEMPLATE ${templateDatabase()}`);
        break;
      } catch (err) {
        // Another worker cloning the template at the same moment: wait and retry.
        if (attempt >= 20 || !/being accessed by other users/.test((err as Error).message)) throw err;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  } finally {
    await admin.end();
  }
  return databaseUrl(name);
}

export function testPool(url: string): Pool {
  return new Pool({ connectionString: url, max: 4 });
}
