// `npm start`: the sidecar (or a hosted instance). Config is validated first (the environment,
// and a `.env` file in the working directory as the seed read one), then the database is opened
// (embedded PostgreSQL when a sidecar has no DATABASE_URL) and migrated, then we listen and say
// where, in one line a newcomer can act on.
import { existsSync } from 'node:fs';
import Redis from 'ioredis';
import { closeGracefully } from './common/http/graceful-close';
import { createRootLogger, RootLogger } from './common/logging/logger';
import { AppConfig } from './config/config.schema';
import { createApp } from './create-app';
import { ConfigError, loadConfig } from './config/load-config';
import { describeDatabaseFailure } from './database/database-failure';
import { migrate } from './database/migrator';
import { openDatabase } from './database/open-database';
import { ProxyService } from './proxy/proxy.service';
import { REDIS } from './redis/redis.module';

/** How long boot waits to see Redis answer before it says, once, that it does not. */
const REDIS_BOOT_CHECK_MS = 2_000;

async function main(): Promise<void> {
  // The seed read a .env in its working directory; variables already set win over it.
  if (existsSync('.env')) process.loadEnvFile('.env');
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createRootLogger(config.logLevel);

  const db = await openDatabase(config, (line) => logger.info(line));
  let applied: string[];
  try {
    applied = await migrate(db.url);
  } catch (err) {
    throw new Error(describeDatabaseFailure(err, config.databaseUrl ? 'DATABASE_URL' : 'the embedded PostgreSQL', db.url));
  }
  if (applied.length) logger.info({ applied }, 'database migrated');

  const app = await createApp(config, db.url, logger);
  await app.listen({ port: config.port, host: config.host });
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  banner(logger, config, url);
  await checkRedis(logger, config, app.get<Redis | null>(REDIS));

  // Exit 0 when everything in flight was answered, 1 when the grace ran out and requests were
  // cut off (or closing failed): a supervisor can tell a clean stop from one that dropped answers.
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, grace_ms: config.shutdownGraceMs }, 'shutting down: no new requests, letting in-flight calls settle');
    const force = setTimeout(() => {
      logger.error({ exit_code: 1 }, 'shutdown did not finish in time (grace + 10 s); exiting');
      process.exit(1);
    }, config.shutdownGraceMs + 10_000);
    force.unref();
    let code = 1;
    try {
      // Stop the HTTP server first and wait for in-flight requests: Nest's own close() would end
      // the database pool before the server, under requests still running. Calls cut off at the
      // grace end their holds before the pool closes.
      const { cutOff } = await closeGracefully(
        app,
        config.shutdownGraceMs,
        (count) => logger.warn({ cut_off: count, grace_ms: config.shutdownGraceMs }, `shutdown grace elapsed: cut off ${count} request(s) still in flight`),
        () => app.get(ProxyService).idle(config.proxy.settleGraceMs),
      );
      await db.stop();
      code = cutOff > 0 ? 1 : 0;
    } catch (err) {
      logger.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
    } finally {
      logger.info({ exit_code: code }, 'stopped');
      logger.flush();
      process.exit(code);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

/** Where it listens, the mode, where the data is, and the next command to try. */
function banner(logger: RootLogger, config: AppConfig, url: string): void {
  const data = config.databaseUrl ? `PostgreSQL at DATABASE_URL (${hostOf(config.databaseUrl)})` : `embedded PostgreSQL in ${config.dataDir}`;
  const next = config.mode === 'hosted' ? `curl -s -H "x-api-key: $CAP_API_KEY" ${url}/v1/tenants` : `curl -s ${url}/health   # then: spendguard agent create --name my-agent`;
  // Said whatever CAP_LOG_LEVEL is (but silent): it is how a newcomer learns where to go next.
  const out = config.logLevel === 'silent' ? logger : logger.child({}, { level: 'info' });
  out.info(
    {
      url,
      mode: config.mode,
      data,
      locks: config.redisUrl ? `Redis at REDIS_URL (${hostOf(config.redisUrl)})` : 'in this process (no REDIS_URL)',
      auth: config.apiKey ? 'an API key is required' : 'none (loopback only)',
      docs: `${url}/docs`,
      next,
    },
    `SpendGuard listening on ${url} · ${config.mode} · ${data} · try: ${next}`,
  );
}

/** A wrong REDIS_URL is said at boot, once, rather than only as 503s on exclusive calls. */
async function checkRedis(logger: RootLogger, config: AppConfig, redis: Redis | null): Promise<void> {
  if (!redis || !config.redisUrl) return;
  const ok = await Promise.race([
    redis.ping().then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((r) => setTimeout(() => r(false), REDIS_BOOT_CHECK_MS).unref()),
  ]);
  if (!ok) {
    logger.error(
      { redis: hostOf(config.redisUrl) },
      `Redis at REDIS_URL (${hostOf(config.redisUrl)}) does not answer: exclusive agents get 503 lock_service_unavailable until it does (parallel agents and the admin API work); check REDIS_URL`,
    );
  }
}

/** host:port of a URL, without its credentials. */
function hostOf(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.hostname}:${u.port || (u.protocol.startsWith('redis') ? '6379' : '5432')}${u.pathname.length > 1 ? u.pathname : ''}`;
  } catch {
    return 'unparsable URL';
  }
}

main().catch((err) => {
  process.stderr.write(`spendguard: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
