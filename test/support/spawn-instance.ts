// Runs the built service (dist/main.js) as its own process, as an operator would: for tests of
// several instances, start-up, config errors and shutdown. (Several Nest apps inside one jest
// process would share passport's global strategy registry, so extra instances are processes.)
import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { SIGNED_PRICING_ENV } from './pricing-fixtures';
import { HttpClient } from './test-app';

export const MAIN = path.join(__dirname, '../../dist/main.js');

export interface Instance {
  process: ChildProcess;
  url: string;
  http: HttpClient;
  output(): string;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts `node dist/main.js` and resolves once it logs that it listens (or rejects with its output). */
export async function spawnInstance(env: Record<string, string>, timeoutMs = 60_000, cwd?: string): Promise<Instance> {
  const port = env.PORT ?? String(await freePort());
  const child = spawn(process.execPath, [MAIN], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      CAP_LOG_LEVEL: 'warn',
      ...(env.CAP_MODE === 'hosted' ? SIGNED_PRICING_ENV : {}),
      ...env,
      PORT: port,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`instance did not start in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = () => {
      if (out.includes('SpendGuard listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`instance exited with ${code} before listening:\n${out}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    process: child,
    url,
    http: new HttpClient(url),
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs dist/main.js to its end (for config errors) and returns its exit code and output. */
export function runToExit(env: Record<string, string>, timeoutMs = 30_000, cwd?: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`did not exit in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
