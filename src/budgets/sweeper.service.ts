// Crash safety (SPEC §4 rule 10): every instance sweeps holds past their expiry, charging each
// in full as `expire`, so a dead instance's calls never block a budget and the cap still holds.
// It also starts afresh the budgets whose period ended while nothing touched them, and forgets
// idempotency records older than CAP_IDEMPOTENCY_TTL_SECONDS.
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/config.schema';
import { PrismaService } from '../database/prisma.service';
import { BudgetLedgerRepository } from './budget-ledger.repository';

@Injectable()
export class SweeperService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('sweeper');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly ledger: BudgetLedgerRepository,
    private readonly prisma: PrismaService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.sweepIntervalSeconds * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One sweep; skipped when the previous one is still going. */
  tick(): Promise<void> {
    if (!this.running) {
      this.running = this.sweep().finally(() => (this.running = undefined));
    }
    return this.running;
  }

  private async sweep(): Promise<void> {
    try {
      const expired = await this.ledger.expireDue();
      if (expired > 0) this.logger.warn({ msg: 'expired abandoned reservations', count: expired });
      // Idle budgets start their new period too (a hold or a settle would do it in its own step).
      await this.ledger.rollDuePeriods();
      await this.prisma.idempotencyKey.deleteMany({
        where: { createdAt: { lt: new Date(Date.now() - this.config.idempotencyTtlSeconds * 1000) } },
      });
    } catch (err) {
      this.logger.error({ msg: 'sweep failed; will retry', err: (err as Error).message });
    }
  }
}
