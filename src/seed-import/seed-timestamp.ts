// The seed wrote created_at with Python's isoformat() in UTC (`2026-02-18T00:00:00.123456+00:00`).
// We also take what other writers of the same file may have left: a space for the `T`
// (SQLite's datetime()), no offset (read as UTC, as the seed meant it), `Z`, and any number of
// fractional digits (we keep milliseconds, the precision of our timestamps).
const SEED_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** The instant as ISO 8601 UTC with milliseconds, or undefined when it is not one the seed wrote. */
export function parseSeedTimestamp(value: string): string | undefined {
  const m = SEED_TIMESTAMP.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '00', frac = '', zone = 'Z'] = m;
  // Date rolls 2026-02-30 over into March; the seed never wrote such a date, so it is refused.
  const daysInMonth = new Date(Date.UTC(Number(y), Number(mo), 0)).getUTCDate();
  if (Number(d) < 1 || Number(d) > daysInMonth) return undefined;
  const ms = frac.padEnd(3, '0').slice(0, 3);
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const parsed = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${offset}`);
  const time = parsed.getTime();
  if (!Number.isFinite(time) || time < 0 || time >= Date.UTC(10000, 0, 1)) return undefined;
  return parsed.toISOString();
}
