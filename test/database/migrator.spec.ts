// Our migrator keeps Prisma's `_prisma_migrations` table, applies each migration once, and
// refuses a migration edited after it was applied.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { migrate, readMigrations } from '../../src/database/migrator';
import { databaseUrl, runId, SERVER_DATABASE_URL } from '../support/test-env';

async function emptyDatabase(): Promise<string> {
  const name = `sg_test_${runId()}_mig${Math.random().toString(36).slice(2, 8)}`;
  const admin = new Client({ connectionString: SERVER_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return databaseUrl(name);
}

async function query(url: string, sql: string) {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('migrator', () => {
  it('applies every migration once and records it as Prisma does', async () => {
    const url = await emptyDatabase();
    const all = readMigrations().map((m) => m.name);
    expect(await migrate(url)).toEqual(all);
    expect(await migrate(url)).toEqual([]);
    const rows = await query(url, 'SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name');
    expect(rows.map((r) => r.migration_name)).toEqual(all);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.checksum) && r.finished_at && r.applied_steps_count === 1)).toBe(true);
  });

  it('lets concurrent instances migrate one database safely', async () => {
    const url = await emptyDatabase();
    const results = await Promise.all([migrate(url), migrate(url), migrate(url)]);
    expect(results.flat()).toEqual(readMigrations().map((m) => m.name));
  });

  it('refuses a migration changed after it was applied, and rolls back a failing one', async () => {
    const url = await emptyDatabase();
    const dir = mkdtempSync(path.join(tmpdir(), 'sg-mig-'));
    const write = (name: string, sql: string) => {
      mkdirSync(path.join(dir, name), { recursive: true });
      writeFileSync(path.join(dir, name, 'migration.sql'), sql);
    };
    write('20260101000000_a', 'CREATE TABLE t_a (id int);');
    await migrate(url, readMigrations(dir));
    write('20260101000000_a', 'CREATE TABLE t_a (id bigint);');
    await expect(migrate(url, readMigrations(dir))).rejects.toThrow(/changed after it was applied/);

    write('20260101000000_a', 'CREATE TABLE t_a (id int);');
    write('20260102000000_b', 'CREATE TABLE t_b (id int); SELECT no_such_function();');
    await expect(migrate(url, readMigrations(dir))).rejects.toThrow(/20260102000000_b failed/);
    const tables = await query(url, "SELECT table_name FROM information_schema.tables WHERE table_name IN ('t_a', 't_b')");
    expect(tables.map((r) => r.table_name)).toEqual(['t_a']);
  });
});
