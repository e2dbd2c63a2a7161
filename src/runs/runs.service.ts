// Runs group an agent's calls (the seed's `POST …/runs`); their figures come from the holds. A
// run may have a budget of its own (SPEC §10), the innermost level of its calls' path.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { z } from 'zod';
import { AgentsService } from '../agents/agents.service';
import { TenantAuth } from '../auth/auth-context';
import { ApiError } from '../common/errors/api-error';
import { RUN_ID_RE } from '../common/http/ids';
import { cursorTimestamp, decodeCursor, encodeCursor, page } from '../common/http/pagination';
import { microcentsToCentsCeil } from '../common/money';
import { PG_POOL } from '../database/prisma.service';
import { BudgetAccountsRepository, BudgetRow } from '../budgets/budget-accounts.repository';
import { LedgerPageDto, LedgerQueryDto } from '../budgets/budget.dto';
import { BudgetsService, toLevelBudgetResponse } from '../budgets/budgets.service';
import { LevelRef, ownerIdOf } from '../budgets/levels';
import { CreatedRunDto, CreateRunDto, RunDto, RunListDto, RunListQueryDto } from './run.dto';

const cursorShape = z.tuple([cursorTimestamp, z.string().regex(RUN_ID_RE)]);

const RUNS_SQL = `
SELECT r.id, r.agent_id, r.created_at,
       count(v.id)::int AS call_count,
       (count(v.id) FILTER (WHERE v.status = 'open'))::int AS in_flight,
       COALESCE(sum(v.cost_microcents) FILTER (WHERE v.status IN ('settled', 'expired')), 0)::text AS spent
  FROM runs r
  LEFT JOIN reservations v ON v.tenant_id = r.tenant_id AND v.agent_id = r.agent_id AND v.run_id = r.id
 WHERE r.agent_id = $1 AND r.tenant_id = $2::uuid`;

interface RunRow {
  id: string;
  agent_id: string;
  created_at: Date;
  call_count: number;
  in_flight: number;
  spent: string;
}

function toRun(r: RunRow, budget: BudgetRow | undefined): RunDto {
  const spent = BigInt(r.spent);
  return {
    run_id: r.id,
    agent_id: r.agent_id,
    created_at: r.created_at.toISOString(),
    status: r.in_flight > 0 ? 'active' : 'idle',
    call_count: r.call_count,
    in_flight: r.in_flight,
    spent_cents: microcentsToCentsCeil(spent),
    spent_microcents: spent.toString(),
    budget: budget ? toLevelBudgetResponse(budget) : null,
  };
}

@Injectable()
export class RunsService {
  constructor(
    private readonly agents: AgentsService,
    private readonly budgets: BudgetsService,
    private readonly accounts: BudgetAccountsRepository,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  /** A run (the seed's `{}`), with a budget of its own when `budget_cents` is given. */
  async create(auth: TenantAuth, agentId: string, body: CreateRunDto): Promise<CreatedRunDto> {
    await this.agents.require(auth, agentId);
    const runId = randomUUID();
    const { rows } = await this.pool.query(
      'INSERT INTO runs (agent_id, id, tenant_id) VALUES ($1, $2, $3::uuid) RETURNING created_at',
      [agentId, runId, auth.tenantId],
    );
    const run: CreatedRunDto = { run_id: runId, agent_id: agentId, created_at: rows[0].created_at.toISOString(), budget: null };
    if (body.budget_cents === undefined) return run;
    const ref: LevelRef = { level: 'run', agentId, runId };
    await this.budgets.setLevel(auth, ref, { hard_limit_cents: body.budget_cents });
    return { ...run, budget: toLevelBudgetResponse(await this.budgets.read(auth, ref)) };
  }

  /** The run's own budget's entries (empty when it has none). */
  async ledger(auth: TenantAuth, agentId: string, runId: string, query: LedgerQueryDto): Promise<LedgerPageDto> {
    await this.get(auth, agentId, runId);
    return this.budgets.ledger(auth, { level: 'run', agentId, runId }, query);
  }

  private async budgetsOf(auth: TenantAuth, agentId: string, runIds: string[]): Promise<Map<string, BudgetRow>> {
    const rows = await this.accounts.getMany(auth.tenantId, 'run', runIds.map((runId) => ownerIdOf({ level: 'run', agentId, runId })));
    return new Map(rows.map((b) => [b.levelId, b]));
  }

  async list(auth: TenantAuth, agentId: string, query: RunListQueryDto): Promise<RunListDto> {
    await this.agents.require(auth, agentId, { allowDeleted: true });
    const before = query.cursor ? decodeCursor(query.cursor, cursorShape) : undefined;
    const values: unknown[] = [agentId, auth.tenantId, query.limit + 1];
    let where = '';
    if (before) {
      values.push(before[0], before[1]);
      where = ' AND (r.created_at, r.id) < ($4::timestamptz, $5)';
    }
    const { rows } = await this.pool.query<RunRow>(
      `${RUNS_SQL}${where} GROUP BY r.tenant_id, r.agent_id, r.id ORDER BY r.created_at DESC, r.id DESC LIMIT $3`,
      values,
    );
    const { items, next_cursor } = page(rows, query.limit, (r) => encodeCursor([r.created_at.toISOString(), r.id]));
    const budgets = await this.budgetsOf(auth, agentId, items.map((r) => r.id));
    return { runs: items.map((r) => toRun(r, budgets.get(r.id))), next_cursor };
  }

  async get(auth: TenantAuth, agentId: string, runId: string): Promise<RunDto> {
    await this.agents.require(auth, agentId, { allowDeleted: true });
    const { rows } = RUN_ID_RE.test(runId)
      ? await this.pool.query<RunRow>(`${RUNS_SQL} AND r.id = $3 GROUP BY r.tenant_id, r.agent_id, r.id`, [agentId, auth.tenantId, runId])
      : { rows: [] as RunRow[] };
    if (rows.length === 0) throw new ApiError('run_not_found', `run ${runId} not found for agent ${agentId}`);
    return toRun(rows[0], (await this.budgetsOf(auth, agentId, [runId])).get(runId));
  }
}
