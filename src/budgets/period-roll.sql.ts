// The sweeper's period roll-over: budgets whose period ended and that no hold or settle has
// touched since start afresh (remaining = hard limit − held, period_spent from 0), each with its
// `period_reset` entry. Holds and settles do the same for the rows they touch, in their own
// statement, so nothing waits for this; it keeps idle budgets and their ledgers current. Rows
// another statement holds are skipped (SKIP LOCKED): that statement resets them itself.
import { EFFECTIVE_COLUMNS, PERIOD_RESET, PERIOD_RESET_DETAILS, setLockedRow } from './path.sql';

/** The roll-over of the due budgets that `where` (over `b`) picks. */
export function periodRollSql(where: string, limit = ''): string {
  return `
WITH c AS (
  SELECT ${EFFECTIVE_COLUMNS}
    FROM budgets b
   WHERE b.next_reset_at <= now() AND ${where}
   ORDER BY b.id
   ${limit}
     FOR UPDATE OF b SKIP LOCKED
), u AS (
  UPDATE budgets
     SET ${setLockedRow(PERIOD_RESET)}
    FROM c
   WHERE budgets.id = c.id
  RETURNING budgets.id
), l AS (
  INSERT INTO ledger_entries (id, tenant_id, budget_id, kind, amount_microcents, balance_after_microcents, details)
  SELECT gen_random_uuid(), c.tenant_id, c.id, 'period_reset', c.eff - c.rem, c.eff, ${PERIOD_RESET_DETAILS}
    FROM c
   ORDER BY c.id
)
SELECT count(*)::int AS rolled FROM c`;
}

export const PERIOD_ROLL_SQL = periodRollSql('true', 'LIMIT $1');
