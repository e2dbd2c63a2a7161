// Makes this run's template database, migrated once; each test file clones it (fast).
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { migrate } from '../../src/database/migrator';
import { databaseUrl, SERVER_DATABASE_URL, templateDatabase } from './test-env';

export default async function globalSetup(): Promise<void> {
  process.env.SG_TEST_RUN = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: SERVER_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${templateDatabase()}`);
  } finally {
    await admin.end();
  }
  await migrate(databaseUrl(templateDatabase()));
}
