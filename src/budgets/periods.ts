// Budget periods (SPEC §10): what a period may be, and where one starts and ends. Days, weeks
// (from Monday) and months start at local midnight in an IANA timezone, through daylight-saving
// changes; seconds, minutes and hours are aligned to UTC. Luxon does the calendar and timezone
// arithmetic here; the statements that roll a budget over compute the same boundaries with
// PostgreSQL's timezone database (sg_period_start / sg_period_end in the migration), and a test
// holds the two to agreement (test/budgets/periods-sql.spec.ts).
import { DateTime, IANAZone } from 'luxon';

export interface PeriodSpec {
  every: string;
  timezone: string;
}

/** `1h`, `1d`, `1w`, `1mo`, or `<n>s` / `<n>m` with n from 1 to 9,999,999. */
export const PERIOD_RE = /^(1h|1d|1w|1mo|[1-9][0-9]{0,6}s|[1-9][0-9]{0,6}m)$/;

/** Seconds of a UTC-aligned period; undefined for a calendar one (day, week, month). */
export function fixedSeconds(every: string): number | undefined {
  if (every === '1h') return 3_600;
  if (every.endsWith('s')) return Number(every.slice(0, -1));
  if (every.endsWith('m') && every !== '1mo') return Number(every.slice(0, -1)) * 60;
  return undefined;
}

export function isValidTimezone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

const CALENDAR_UNIT = { '1d': 'day', '1w': 'week', '1mo': 'month' } as const;

/**
 * Where the clocks went back over a local midnight it happens twice (Havana moves its clocks at
 * 00:00): a period starts at the first. Luxon keeps the offset of the instant it started from.
 */
function firstOccurrence(start: DateTime): DateTime {
  for (const minutes of [60, 30]) {
    const earlier = start.minus({ minutes });
    if (earlier.toFormat('yyyy-MM-dd HH:mm:ss.SSS') === start.toFormat('yyyy-MM-dd HH:mm:ss.SSS')) return earlier;
  }
  return start;
}

/** The start of the period that holds `at` (UTC-aligned periods: a multiple of their length since the epoch). */
export function periodStart(spec: PeriodSpec, at: Date): Date {
  const seconds = fixedSeconds(spec.every);
  if (seconds !== undefined) return new Date(Math.floor(at.getTime() / 1000 / seconds) * seconds * 1000);
  const unit = CALENDAR_UNIT[spec.every as keyof typeof CALENDAR_UNIT];
  // Luxon's startOf('week') is ISO: Monday.
  return firstOccurrence(DateTime.fromJSDate(at, { zone: spec.timezone }).startOf(unit)).toJSDate();
}

/** The end of the period that holds `at`: when the next one starts. */
export function periodEnd(spec: PeriodSpec, at: Date): Date {
  const seconds = fixedSeconds(spec.every);
  if (seconds !== undefined) return new Date((Math.floor(at.getTime() / 1000 / seconds) + 1) * seconds * 1000);
  const unit = CALENDAR_UNIT[spec.every as keyof typeof CALENDAR_UNIT];
  // startOf again: where a midnight does not exist (a change at 00:00, as in Havana) a period
  // starts at the day's first instant (01:00), and one unit later is not yet the next start.
  return firstOccurrence(DateTime.fromJSDate(at, { zone: spec.timezone }).startOf(unit).plus({ [`${unit}s`]: 1 }).startOf(unit)).toJSDate();
}
