// GET /health: the process is up (the seed's probe). GET /health/ready: it can serve, i.e. its
// database and (when configured) Redis answer within a short timeout and a price table is in
// force (metered calls need one); 503 otherwise.
import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import Redis from 'ioredis';
import { ZodResponse } from 'nestjs-zod';
import { Public } from '../auth/auth.decorators';
import { PrismaService } from '../database/prisma.service';
import { PricingService } from '../pricing/pricing.service';
import { REDIS } from '../redis/redis.module';
import { LiveDto, ReadyDto } from './health.dto';

const CHECK_TIMEOUT_MS = 1_500;

function within<T>(p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS).unref())]);
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly prisma: PrismaService,
    @Inject(REDIS) private readonly redis: Redis | null,
    private readonly pricing: PricingService,
  ) {}

  @Get()
  @Public('always')
  @ZodResponse({ status: 200, type: LiveDto })
  live() {
    return { status: 'ok' as const };
  }

  @Get('ready')
  @Public('hosted')
  @ZodResponse({ status: 200, type: ReadyDto })
  @ApiResponse({ status: 503, type: ReadyDto.Output, description: 'a dependency is down' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const [database, redis] = await Promise.all([
      within(this.prisma.pool.query('SELECT 1')).then(() => 'ok' as const, () => 'down' as const),
      this.redis ? within(this.redis.ping()).then(() => 'ok' as const, () => 'down' as const) : ('disabled' as const),
    ]);
    const pricing = this.pricing.current() ? ('ok' as const) : ('down' as const);
    const ok = database === 'ok' && redis !== 'down' && pricing === 'ok';
    if (!ok) reply.status(503);
    return { status: ok ? ('ok' as const) : ('unavailable' as const), checks: { database, redis, pricing } };
  }
}
