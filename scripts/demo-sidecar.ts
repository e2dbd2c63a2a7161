// For `npm run demo`: SpendGuard as a newcomer runs it (`node dist/main.js`, no DATABASE_URL, so
// on its own embedded PostgreSQL), in a fresh temporary data directory on free ports, removed
// again when it stops.
import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort } from '../test/support/spawn-instance';

const MAIN = path.join(__dirname, '../dist/main.js');

export interface Sidecar {
  url: string;
  dataDir: string;
  process: ChildProcess;
  /** Everything it printed (JSON log lines), for when something goes wrong. */
  output(): string;
  /** SIGTERM, wait for the exit (it stops its PostgreSQL), remove the data directory. */
  stop(): Promise<number | null>;
}

export async function startSidecar(env: Record<string, string>, timeoutMs = 120_000): Promise<Sidecar> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'spendguard-demo-'));
  // As root, the embedded PostgreSQL runs as the `postgres` user, which must reach this directory.
  chmodSync(dataDir, 0o755);
  const port = await freePort();
  const pgPort = await freePort();
  // A clean environment: nothing from the caller's shell (a DATABASE_URL, REDIS_URL or
  // CAP_API_KEY there would change what the demo shows).
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      CAP_LOG_LEVEL: 'warn',
      CAP_DATA_DIR: dataDir,
      CAP_EMBEDDED_PG_PORT: String(pgPort),
      PORT: String(port),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const removeData = () => rmSync(dataDir, { recursive: true, force: true });

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`SpendGuard did not start in ${timeoutMs / 1000} s. Its output:\n${out}`)), timeoutMs);
      const check = () => {
        if (out.includes('SpendGuard listening on')) {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          resolve();
        }
      };
      child.stdout!.on('data', check);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`SpendGuard exited with code ${code} before listening. Its output:\n${out}`));
      });
    });
  } catch (err) {
    if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    removeData();
    throw err;
  }

  let stopping: Promise<number | null> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    process: child,
    output: () => out,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        const code = await exited;
        clearTimeout(timer);
        removeData();
        return code;
      })();
      return stopping;
    },
  };
}
