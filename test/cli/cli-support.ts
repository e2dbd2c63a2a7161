// Runs the real `spendguard` binary (bin/spendguard.js → dist/, so `npm run build` first) as a
// child process, asynchronously, so the service under test keeps answering in this process.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export const BIN = path.join(__dirname, '../../bin/spendguard.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `spendguard …args` with only PATH and the env given (no CAP_* leaks in from the shell). */
export function spendguard(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<CliResult> {
  return runProcess(process.execPath, [BIN, ...args], env, timeoutMs);
}

/** A bash script, with `spendguard` on PATH as the seed's users have it. */
export function bash(script: string, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CliResult> {
  const cwd = mkdtempSync(path.join(tmpdir(), 'sg-cli-job-'));
  return runProcess('bash', ['-euo', 'pipefail', '-c', script], { ...env, PATH: `${binDir()}:${process.env.PATH ?? ''}` }, timeoutMs, cwd);
}

let dir: string | undefined;
/** A directory holding a `spendguard` executable that runs this checkout's binary. */
export function binDir(): string {
  if (!dir) {
    dir = mkdtempSync(path.join(tmpdir(), 'sg-cli-bin-'));
    const file = path.join(dir, 'spendguard');
    writeFileSync(file, `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(file, 0o755);
  }
  return dir;
}

function runProcess(command: string, args: string[], env: Record<string, string>, timeoutMs: number, cwd?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not exit in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `key=value` lines as an object (the first `=` splits). */
export function fields(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => l.split(/=(.*)/s).slice(0, 2)),
  );
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** One line of space-separated `key=value` pairs as an object. */
export function pairs(line: string): Record<string, string> {
  return fields(line.trim().split(' ').join('\n'));
}

/** Polls until `check` holds (finalizing a call commits just after its answer). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
