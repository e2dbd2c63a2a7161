// Counts the service's Postgres queries and Redis commands, for scripts/bench.ts: a preload
// (`node -r <file> dist/main.js`) wraps pg's Client.prototype.query and ioredis's
// Redis.prototype.sendCommand with a counter, and prints the counts on SIGUSR2. The service's
// code is untouched; the wrappers cost an increment per query.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';

const PRELOAD = `'use strict';
// Written by scripts/bench-counters.ts: counts queries and commands, prints them on SIGUSR2.
const root = process.env.BENCH_ROOT || process.cwd();
const counts = { pg: 0, redis: 0 };
try {
  const pg = require(require.resolve('pg', { paths: [root] }));
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (...args) { counts.pg++; return query.apply(this, args); };
} catch (err) {
  process.stderr.write('bench counters: pg not counted: ' + err.message + '\\n');
}
try {
  const ioredis = require(require.resolve('ioredis', { paths: [root] }));
  const Redis = ioredis.default || ioredis.Redis || ioredis;
  const send = Redis.prototype.sendCommand;
  Redis.prototype.sendCommand = function (...args) { counts.redis++; return send.apply(this, args); };
} catch (err) {
  process.stderr.write('bench counters: redis not counted: ' + err.message + '\\n');
}
process.on('SIGUSR2', () => process.stdout.write('BENCH_COUNTS ' + JSON.stringify(counts) + '\\n'));
`;

/** Writes the preload into `dir`; returns its path (for `node -r`). */
export function writeCountersPreload(dir: string): string {
  const file = path.join(dir, 'bench-counters-preload.js');
  writeFileSync(file, PRELOAD);
  return file;
}

export interface Counts {
  pg: number;
  redis: number;
}

/** Asks a service started with the preload for its counts so far. */
export function readCounts(child: ChildProcess, timeoutMs = 2_000): Promise<Counts> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const m = /BENCH_COUNTS (\{[^\n]*\})\n/.exec(buffered);
      if (m) {
        cleanup();
        resolve(JSON.parse(m[1]) as Counts);
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error('the service did not report its query counts'));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
    };
    child.stdout!.on('data', onData);
    child.kill('SIGUSR2');
  });
}
