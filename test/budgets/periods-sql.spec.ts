// The boundaries the ledger rolls budgets over on (sg_period_start / sg_period_end, PostgreSQL's
// timezone database) agree with the ones the API computes and shows (src/budgets/periods.ts,
// Luxon), to the millisecond, over a year of instants around every kind of edge: daylight-saving
// changes, month ends, leap days, year ends, half-hour zones.
import { Pool } from 'pg';
import { periodEnd, periodStart } from '../../src/budgets/periods';
import { createTestDatabase, testPool } from '../support/test-database';

let pool: Pool;
beforeAll(async () => {
  pool = testPool(await createTestDatabase());
});
afterAll(() => pool.end());

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'America/Sao_Paulo', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Pacific/Chatham', 'America/Havana'];
const EVERY = ['1d', '1w', '1mo', '1h', '2s', '7m'];

/** Instants over 2026-2028: every 6 hours and 17 minutes, plus each side of every local midnight in March, October and November. */
function instants(): Date[] {
  const out: Date[] = [];
  for (let t = Date.parse('2026-01-01T00:00:00Z'); t < Date.parse('2028-03-05T00:00:00Z'); t += (6 * 60 + 17) * 60_000) out.push(new Date(t));
  for (const day of ['2026-03-08', '2026-03-29', '2026-10-25', '2026-11-01', '2027-02-28', '2028-02-29', '2026-12-31']) {
    for (let h = -30; h <= 30; h++) out.push(new Date(Date.parse(`${day}T00:00:00Z`) + h * 3_600_000 - 1));
  }
  return out;
}

it.each(ZONES)('agrees with Luxon in %s', async (timezone) => {
  const at = instants();
  for (const every of EVERY) {
    const { rows } = await pool.query(
      `SELECT (extract(epoch FROM sg_period_start($1, $2, t)) * 1000)::bigint AS start,
              (extract(epoch FROM sg_period_end($1, $2, t)) * 1000)::bigint AS end
         FROM unnest($3::timestamptz[]) WITH ORDINALITY AS x(t, i) ORDER BY i`,
      [every, timezone, at],
    );
    const mismatches = rows
      .map((r, i) => ({ at: at[i].toISOString(), sql: [Number(r.start), Number(r.end)], luxon: [periodStart({ every, timezone }, at[i]).getTime(), periodEnd({ every, timezone }, at[i]).getTime()] }))
      .filter((m) => m.sql[0] !== m.luxon[0] || m.sql[1] !== m.luxon[1]);
    expect({ every, timezone, mismatches: mismatches.slice(0, 3) }).toEqual({ every, timezone, mismatches: [] });
  }
});
