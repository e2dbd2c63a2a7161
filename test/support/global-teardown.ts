import { Client } from 'pg';
import { runId, SERVER_DATABASE_URL } from './test-env';

export default async function globalTeardown(): Promise<void> {
  const admin = new Client({ connectionString: SERVER_DATABASE_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [`sg_test_${runId()}_%`]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
