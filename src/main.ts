// `npm start`: the sidecar (or a hosted instance). Config is validated first, then the database
// is opened (embedded PostgreSQL when a sidecar has no DATABASE_URL) and migrated, then we listen.
import { closeGracefully } from './common/http/graceful-close';
import { createApp } from './create-app';
import { ConfigError, loadConfig } from './config/load-config';
import { migrate } from './database/migrator';
import { openDatabase } from './database/open-database';

/** One JSON line on stdout; `extra.level` overrides the level (info). */
const log = (msg: string, extra: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ level: 'info', time: new Date().toISOString(), msg, ...extra })}\n`);

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }

  const db = await openDatabase(config, (line) => log(line));
  const applied = await migrate(db.url);
  if (applied.length) log('database migrated', { applied });

  const app = await createApp(config, db.url);
  await app.listen({ port: config.port, host: config.host });
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  log(`SpendGuard listening on ${url}`, {
    url,
    mode: config.mode,
    database: config.databaseUrl ? 'DATABASE_URL' : `embedded PostgreSQL in ${config.dataDir}`,
    locks: config.redisUrl ? 'redis' : 'in-process',
    auth: config.apiKey ? 'api key required' : 'none (loopback only)',
  });

  // Exit 0 when everything in flight was answered, 1 when the grace ran out and requests were
  // cut off (or closing failed): a supervisor can tell a clean stop from one that dropped answers.
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('shutting down: no new requests, letting in-flight calls settle', { signal, grace_ms: config.shutdownGraceMs });
    const force = setTimeout(() => {
      log('shutdown did not finish in time (grace + 10 s); exiting', { level: 'error', exit_code: 1 });
      process.exit(1);
    }, config.shutdownGraceMs + 10_000);
    force.unref();
    let code = 1;
    try {
      // Stop the HTTP server first and wait for in-flight requests: Nest's own close() would end
      // the database pool before the server, under requests still running.
      const { cutOff } = await closeGracefully(app, config.shutdownGraceMs, (count) =>
        log(`shutdown grace elapsed: cut off ${count} request(s) still in flight`, { level: 'warn', cut_off: count, grace_ms: config.shutdownGraceMs }),
      );
      await db.stop();
      code = cutOff > 0 ? 1 : 0;
    } catch (err) {
      log('shutdown failed', { level: 'error', err: err instanceof Error ? err.message : String(err) });
    } finally {
      log('stopped', { exit_code: code });
      process.exit(code);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`spendguard: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
