// SQL shared by the statements that take holds: a call's path (SPEC §10) — the budget rows of its
// tenant, of each group of its agent's group chain (at most 8 deep), of the agent and of its run
// — and each row's figures as of now, a due period reset applied.
//
// Every statement that locks several budget rows locks them in ascending `id` order (ORDER BY
// before FOR UPDATE: rows are locked as the sort emits them), so no two of them can deadlock.

/** Most levels of groups a chain may have (SPEC §10). */
export const MAX_GROUP_DEPTH = 8;

/**
 * The group chain of the agents in `agent` (columns tenant_id, id, group_id): one row per group,
 * with the agent it belongs to. Needs WITH RECURSIVE.
 */
export const GROUP_CHAIN_CTE = `
chain(tenant_id, agent_id, group_id, parent_id, depth) AS (
  SELECT g.tenant_id, agent.id, g.id, g.parent_group_id, 1
    FROM agent JOIN groups g ON g.tenant_id = agent.tenant_id AND g.id = agent.group_id
  UNION ALL
  SELECT g.tenant_id, chain.agent_id, g.id, g.parent_group_id, chain.depth + 1
    FROM chain JOIN groups g ON g.tenant_id = chain.tenant_id AND g.id = chain.parent_id
   WHERE chain.depth < ${MAX_GROUP_DEPTH}
)`;

/**
 * A budget row's figures with a due period reset applied (`b` is the row): at the boundary the
 * budget starts afresh, remaining = hard limit − what is held, and `period_spent` from 0. `due`
 * says whether that reset is to be written (with its `period_reset` entry). The statements lock
 * rows through these columns (a CTE … FOR UPDATE) and then write them with setLockedRow.
 */
export const EFFECTIVE_COLUMNS = `
  b.id, b.tenant_id, b.level, b.owner_id, b.period_every, b.period_timezone,
  b.hard_limit_microcents AS lim, b.remaining_microcents AS rem, b.reserved_microcents AS res,
  b.spent_microcents AS spent, b.credited_microcents AS cred, b.in_flight, b.period_spent_microcents AS pspent,
  b.period_started_at AS pstart, b.next_reset_at AS pnext,
  (b.next_reset_at IS NOT NULL AND b.next_reset_at <= now()) AS due,
  CASE WHEN b.next_reset_at IS NOT NULL AND b.next_reset_at <= now()
       THEN b.hard_limit_microcents - b.reserved_microcents ELSE b.remaining_microcents END AS eff`;

/** The SQL of each mutable column of a budget row, as the locked row `c` (EFFECTIVE_COLUMNS) has it. */
const AS_LOCKED: Record<string, string> = {
  hard_limit_microcents: 'c.lim',
  credited_microcents: 'c.cred',
  remaining_microcents: 'c.rem',
  reserved_microcents: 'c.res',
  spent_microcents: 'c.spent',
  in_flight: 'c.in_flight',
  period_every: 'c.period_every',
  period_timezone: 'c.period_timezone',
  period_started_at: 'c.pstart',
  next_reset_at: 'c.pnext',
  period_spent_microcents: 'c.pspent',
};

/** A due period reset of the row `c`, as column changes (a no-op unless `c.due`). */
export const PERIOD_RESET: Record<string, string> = {
  remaining_microcents: 'c.eff',
  credited_microcents: 'c.cred + (c.eff - c.rem)',
  period_spent_microcents: 'CASE WHEN c.due THEN 0 ELSE c.pspent END',
  period_started_at: 'CASE WHEN c.due THEN sg_period_start(c.period_every, c.period_timezone, now()) ELSE c.pstart END',
  next_reset_at: 'CASE WHEN c.due THEN sg_period_end(c.period_every, c.period_timezone, now()) ELSE c.pnext END',
};

/**
 * The SET list of an UPDATE of the locked row `c` (the UPDATE's FROM names it `c`): every mutable
 * column, from `changes` or as locked. Every one, because within the statement that locked it the
 * UPDATE's own view of the row may be the version before the lock was granted (measured: a hold
 * waiting on a settle's lock kept the settle's pre-commit `spent`), while `c` is the latest.
 */
export function setLockedRow(changes: Record<string, string>): string {
  return [...Object.entries({ ...AS_LOCKED, ...changes }), ['updated_at', 'now()']].map(([column, sql]) => `${column} = ${sql}`).join(',\n         ');
}

/** The details of a `period_reset` entry for the row `c`. */
export const PERIOD_RESET_DETAILS = `jsonb_build_object('period', c.period_every, 'timezone', c.period_timezone,
  'previous_remaining_microcents', c.rem::text, 'reserved_microcents', c.res::text)`;

/**
 * The budget rows of one call's path as of now, read only (nothing locked, nothing written): for
 * POST /v1/agents/{id}/estimate. $1 tenant, $2 agent, $3 run (null: none).
 */
export const PATH_READ_SQL = `
WITH RECURSIVE agent AS (
  SELECT a.tenant_id, a.id, a.group_id FROM agents a WHERE a.tenant_id = $1::uuid AND a.id = $2 AND a.deleted_at IS NULL
), ${GROUP_CHAIN_CTE},
owners(level, owner_id) AS (
  SELECT 'tenant', $1::text FROM agent
  UNION ALL SELECT 'group', group_id::text FROM chain
  UNION ALL SELECT 'agent', $2 FROM agent
  UNION ALL SELECT 'run', $2 || '/' || $3 FROM agent WHERE $3::text IS NOT NULL
)
SELECT ${EFFECTIVE_COLUMNS}, (SELECT count(*) FROM agent)::int AS agent_found
  FROM owners LEFT JOIN budgets b ON b.tenant_id = $1::uuid AND b.level = owners.level AND b.owner_id = owners.owner_id`;
