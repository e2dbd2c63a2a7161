// The price table in force (SPEC §6). Loads the configured source at boot and refreshes it on a
// timer; keeps every verified table in Postgres so a restart without network still prices calls;
// fails closed: with no verified, unexpired table, `require()` answers 503 pricing_unavailable.
//
// Trust: a document from CAP_PRICING_URL / CAP_PRICING_FILE must carry a valid signature (unless
// CAP_PRICING_VERIFY_SIGNATURE=false). The bundled table ships inside the code and is trusted as
// the code is; it is used only in sidecar mode with no source configured, never as a fallback.
import { preloadTokenizers } from './token-counter';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ApiError } from '../common/errors/api-error';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/config.schema';
import { PrismaService } from '../database/prisma.service';
import { ENGINE_NAME } from './engine';
import { loadPriceTable, LoadPriceTableResult } from './load-price-table';
import { PriceSource, priceSourceFor, PriceSourceKind } from './price-source';
import { isPriceTableCurrent, PriceTable } from './price-table';

export interface ActivePriceTable {
  table: PriceTable;
  /** Where it came from; `stored` is the last verified table, read back from Postgres. */
  source: PriceSourceKind | 'stored';
  sourceRef: string;
  /** Its signature was checked against a configured key. */
  verified: boolean;
  fetchedAt: Date;
}

/** How many verified tables Postgres keeps (newest first). */
const KEEP_STORED = 20;

@Injectable()
export class PricingService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('pricing');
  private readonly source: PriceSource;
  private active: ActivePriceTable | null = null;
  private etag: string | null = null;
  private lastError: string | null = null;
  private timer?: NodeJS.Timeout;
  private refreshing?: Promise<void>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
  ) {
    this.source = priceSourceFor(config.pricing);
  }

  async onApplicationBootstrap(): Promise<void> {
    preloadTokenizers();
    await this.refresh();
    if (!this.current()) await this.restoreStored();
    if (this.source.kind !== 'bundled') {
      this.timer = setInterval(() => void this.refresh(), this.config.pricing.refreshSeconds * 1000);
      this.timer.unref();
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** The table in force, or null when there is none or it has expired (fail closed). */
  current(now = new Date()): ActivePriceTable | null {
    const active = this.active;
    if (!active || !isPriceTableCurrent(active.table, now, this.config.pricing.clockSkewSeconds)) return null;
    return active;
  }

  /** The table in force, or 503 pricing_unavailable. */
  require(): ActivePriceTable {
    const active = this.current();
    if (!active) {
      throw new ApiError(
        'pricing_unavailable',
        `no verified, unexpired price table${this.lastError ? `: ${this.lastError}` : ''}; metered calls are refused until one loads`,
      );
    }
    return active;
  }

  status(): { lastError: string | null; etag: string | null; sourceKind: PriceSourceKind; sourceRef: string } {
    return { lastError: this.lastError, etag: this.etag, sourceKind: this.source.kind, sourceRef: this.source.ref };
  }

  /** Fetches the source once (If-None-Match for URLs). Never throws; failures keep the table in force. */
  refresh(): Promise<void> {
    this.refreshing ??= this.fetchAndActivate().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async fetchAndActivate(): Promise<void> {
    try {
      const fetched = await this.source.fetch(this.active?.source === this.source.kind ? this.etag : null);
      if (!fetched.changed) {
        this.lastError = null;
        return;
      }
      const verdict = this.load(fetched.text, this.source.kind !== 'bundled' && this.config.pricing.verifySignature);
      if (!verdict.ok) {
        // The seed's error playbook tells its users to look for this very line.
        if (verdict.reason === 'bad_signature' || verdict.reason === 'missing_signature') {
          this.logger.error({ msg: 'Remote pricing signature verification failed', source: this.source.ref, reason: verdict.reason });
        }
        throw new Error(`${this.source.ref}: ${verdict.reason} (${verdict.detail})`);
      }
      for (const dropped of verdict.droppedCards) {
        this.logger.warn({ msg: 'price card dropped', provider: dropped.provider, model: dropped.model, reason: dropped.reason });
      }
      const fetchedAt = new Date();
      this.active = { table: verdict.table, source: this.source.kind, sourceRef: this.source.ref, verified: verdict.verified, fetchedAt };
      this.etag = fetched.etag;
      this.lastError = null;
      if (this.source.kind !== 'bundled') await this.store(fetched.text, verdict.table, fetched.etag);
      this.logger.log({ msg: 'price table loaded', source: this.source.kind, version: verdict.table.version, expires_at: verdict.table.expiresAt });
    } catch (err) {
      this.lastError = (err as Error).message;
      this.logger.error({ msg: 'price table not loaded; keeping the one in force', err: this.lastError });
    }
  }

  private load(text: string, verifySignature: boolean): LoadPriceTableResult {
    return loadPriceTable(text, {
      verifySignature,
      publicKeysB64: this.config.pricing.publicKeys,
      engineName: ENGINE_NAME,
      engineVersion: this.config.pricing.engineVersion,
      now: new Date(),
      clockSkewSeconds: this.config.pricing.clockSkewSeconds,
    });
  }

  private async store(document: string, table: PriceTable, etag: string | null): Promise<void> {
    await this.prisma.priceTable.upsert({
      where: { version: table.version },
      create: {
        version: table.version,
        source: this.source.kind,
        sourceRef: this.source.ref,
        document,
        etag,
        generatedAt: table.generatedAt,
        expiresAt: table.expiresAt,
      },
      update: { fetchedAt: new Date(), etag },
    });
    const old = await this.prisma.priceTable.findMany({ orderBy: { fetchedAt: 'desc' }, skip: KEEP_STORED, select: { version: true } });
    if (old.length) await this.prisma.priceTable.deleteMany({ where: { version: { in: old.map((o) => o.version) } } });
  }

  /** The newest stored table that still verifies with today's keys and has not expired. */
  private async restoreStored(): Promise<void> {
    if (this.source.kind === 'bundled') return;
    try {
      const rows = await this.prisma.priceTable.findMany({
        where: { expiresAt: { gt: new Date() } },
        orderBy: { fetchedAt: 'desc' },
        take: KEEP_STORED,
      });
      for (const row of rows) {
        const verdict = this.load(row.document, this.config.pricing.verifySignature);
        if (!verdict.ok) continue;
        this.active = { table: verdict.table, source: 'stored', sourceRef: row.sourceRef, verified: verdict.verified, fetchedAt: row.fetchedAt };
        this.etag = row.etag;
        this.logger.warn({ msg: 'using the last verified price table from the database', version: row.version });
        return;
      }
    } catch (err) {
      this.logger.error({ msg: 'could not read stored price tables', err: (err as Error).message });
    }
  }
}
