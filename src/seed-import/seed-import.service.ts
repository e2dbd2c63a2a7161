// Brings a seed user's data over (SPEC §2): the agents of the seed's SQLite store with their ids,
// names and creation times, their budgets, and their usage ledgers as history (how an imported
// entry looks: docs/seed-import.md). Each agent in one transaction; an agent that already has a
// budget here is skipped, so importing the same file again, or on several instances at once,
// changes nothing. Used at boot (seed-import.boot.ts) and by POST /v1/imports/seed-sqlite.
import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AgentsService } from '../agents/agents.service';
import { TenantAuth } from '../auth/auth-context';
import { HistoricBudget, HistoricCall, ImportedHistoryRepository } from '../budgets/imported-history.repository';
import { withRetry } from '../budgets/retry';
import { RUN_ID_RE } from '../common/http/ids';
import { centsToMicrocents, maxBig } from '../common/money';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/config.schema';
import { PG_POOL } from '../database/prisma.service';
import { ScopedPool } from '../database/scoped-pool';
import { activeScope } from '../database/transaction-scope';
import { hasLeftoverLock, ImportOutcome, SeedAgent, SeedCall, SeedImportResult } from './seed-store.schema';

/** Written into every imported entry's details, beside the seed's row id. */
export const IMPORTED_FROM = 'seed_sqlite';
/** The run of calls the seed recorded without one. */
export const UNATTRIBUTED_RUN_ID = 'seed-unattributed';

@Injectable()
export class SeedImportService {
  constructor(
    private readonly agents: AgentsService,
    private readonly history: ImportedHistoryRepository,
    @Inject(PG_POOL) private readonly pool: ScopedPool,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async importAgents(auth: TenantAuth, agents: SeedAgent[]): Promise<SeedImportResult> {
    const outcomes: ImportOutcome[] = [];
    for (const agent of agents) outcomes.push(await this.importAgent(auth, agent));
    return summarize(outcomes);
  }

  private importAgent(auth: TenantAuth, seed: SeedAgent): Promise<ImportOutcome> {
    const calls = [...seed.calls].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
    const firstCallAt = calls.length ? new Date(calls[0].created_at) : undefined;
    const createdAt = new Date(seed.created_at ?? firstCallAt ?? Date.now());
    const lock = hasLeftoverLock(seed.budget);
    const result = (outcome: ImportOutcome['outcome'], reason: ImportOutcome['reason'], written = false): ImportOutcome => ({
      agent_id: seed.agent_id,
      outcome,
      reason,
      budget_imported: written,
      calls_imported: written ? calls.length : 0,
      lock_released: written && lock,
    });
    return this.inTransaction(async () => {
      const { created, agent } = await this.agents.adopt(auth, { id: seed.agent_id, name: seed.name, createdAt });
      if (agent.deletedAt) return result('skipped', 'agent_deleted');
      if (!seed.budget && calls.length === 0) return created ? result('imported', null) : result('skipped', 'agent_exists');
      const openedAt = firstCallAt && firstCallAt < createdAt ? firstCallAt : createdAt;
      const written = await this.history.importHistory(
        auth.tenantId,
        seed.agent_id,
        this.opening(seed, openedAt),
        calls.map((c) => this.historicCall(c)),
      );
      return written ? result('imported', null, true) : result('skipped', 'budget_exists');
    });
  }

  /** The budget as the seed left it; calls with no budget row get a budget of 0 to hold their history. */
  private opening(seed: SeedAgent, openedAt: Date): HistoricBudget {
    const budget = seed.budget;
    return {
      hardLimitMicrocents: centsToMicrocents(budget?.hard_limit_cents ?? 0),
      remainingMicrocents: centsToMicrocents(budget?.remaining_cents ?? 0),
      openedAt,
      details: {
        imported_from: IMPORTED_FROM,
        reason: 'opening_balance',
        seed_budget_row: budget !== null,
        seed_hard_limit_cents: budget?.hard_limit_cents ?? null,
        seed_remaining_cents: budget?.remaining_cents ?? null,
        seed_calls: seed.calls.length,
        seed_realized_cents: seed.calls.reduce((sum, c) => sum + c.realized_cents, 0),
        ...(hasLeftoverLock(budget)
          ? {
              seed_lock_released: {
                locked_run_id: budget!.locked_run_id || null,
                locked_cents: budget!.locked_cents,
                locked_expires_at: budget!.locked_expires_at,
              },
            }
          : {}),
      },
    };
  }

  private historicCall(c: SeedCall): HistoricCall {
    const runId = ourRunId(c.run_id);
    const usage = {
      ...(c.input_tokens !== null ? { inputTokens: c.input_tokens } : {}),
      ...(c.output_tokens !== null ? { outputTokens: c.output_tokens } : {}),
    };
    const keepMetaJson = this.config.capturePromptResponse && c.meta_json !== undefined;
    return {
      key: `${IMPORTED_FROM}:${c.seed_row_id}`,
      runId,
      requestId: c.seed_row_id,
      provider: c.provider,
      model: c.model,
      // The seed held whole cents and may have rounded a tiny worst case to 0; a hold is at least 1 µ¢.
      holdMicrocents: maxBig(centsToMicrocents(c.wcec_cents), 1n),
      costMicrocents: centsToMicrocents(c.realized_cents),
      failed: c.termination_reason !== null,
      at: new Date(c.created_at),
      usage: Object.keys(usage).length ? usage : null,
      details: { imported_from: IMPORTED_FROM, seed_row_id: c.seed_row_id },
      closingDetails: {
        seed_wcec_cents: c.wcec_cents,
        seed_realized_cents: c.realized_cents,
        termination_reason: c.termination_reason,
        ...(runId !== c.run_id ? { seed_run_id: c.run_id } : {}),
        ...(c.meta ? { seed_meta: c.meta } : {}),
        ...(keepMetaJson ? { seed_meta_json: c.meta_json } : {}),
      },
    };
  }

  private inTransaction<T>(fn: () => Promise<T>): Promise<T> {
    // A request with an Idempotency-Key already runs in one transaction (its scope): join it.
    if (activeScope()) return fn();
    return withRetry(() => this.pool.inTransaction(() => fn()));
  }
}

/** The seed's run id where ours can hold it; otherwise a stable id derived from it (the original stays in the details). */
export function ourRunId(seedRunId: string | null): string {
  if (seedRunId === null) return UNATTRIBUTED_RUN_ID;
  if (RUN_ID_RE.test(seedRunId)) return seedRunId;
  return `seed-${createHash('sha256').update(seedRunId, 'utf8').digest('hex').slice(0, 32)}`;
}

export function summarize(outcomes: ImportOutcome[]): SeedImportResult {
  const imported = outcomes.filter((o) => o.outcome === 'imported');
  return {
    agents_imported: imported.length,
    agents_skipped: outcomes.length - imported.length,
    budgets_imported: outcomes.filter((o) => o.budget_imported).length,
    calls_imported: imported.reduce((sum, o) => sum + o.calls_imported, 0),
    locks_released: outcomes.filter((o) => o.lock_released).length,
    agents: outcomes,
  };
}
