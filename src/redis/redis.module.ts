// The shared Redis connection, when REDIS_URL is set (always in hosted mode). Redis holds locks
// only, never a figure: commands fail fast rather than queue while it is down, and give up after
// CAP_REDIS_COMMAND_TIMEOUT_MS when it hangs (paused, blocked, a partition that drops packets).
import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/config.schema';

export const REDIS = Symbol('REDIS');

export function createRedis(url: string, commandTimeoutMs: number): Redis {
  const redis = new Redis(url, {
    commandTimeout: commandTimeoutMs,
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  // Connection errors surface on the commands that need Redis; the client keeps reconnecting.
  redis.on('error', () => undefined);
  return redis;
}

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis | null) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.redis) await this.redis.quit().catch(() => this.redis?.disconnect());
  }
}

@Global()
@Module({
  providers: [
    { provide: REDIS, inject: [APP_CONFIG], useFactory: (c: AppConfig) => (c.redisUrl ? createRedis(c.redisUrl, c.redisCommandTimeoutMs) : null) },
    RedisCloser,
  ],
  exports: [REDIS],
})
export class RedisModule {}
