import { Global, Module } from '@nestjs/common';
import Redis from 'ioredis';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/config.schema';
import { REDIS } from '../redis/redis.module';
import { AGENT_LOCKS } from './agent-locks.token';
import { InProcessLocks } from './in-process-locks';
import { RedisLocks } from './redis-locks';

@Global()
@Module({
  providers: [
    {
      provide: AGENT_LOCKS,
      inject: [APP_CONFIG, REDIS],
      useFactory: (config: AppConfig, redis: Redis | null) =>
        redis ? new RedisLocks(redis, config.redisKeyPrefix) : new InProcessLocks(),
    },
  ],
  exports: [AGENT_LOCKS],
})
export class LocksModule {}
