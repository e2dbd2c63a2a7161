// Period boundaries with a controllable clock (every instant is given): local midnight through
// daylight-saving changes, month ends, ISO weeks, and UTC-aligned short periods.
import { fixedSeconds, isValidTimezone, PERIOD_RE, periodEnd, periodStart } from './periods';

const at = (iso: string) => new Date(iso);
const iso = (d: Date) => d.toISOString();

describe('what a period may be', () => {
  it.each(['1h', '1d', '1w', '1mo', '2s', '30s', '15m', '9999999s'])('accepts %s', (every) => expect(PERIOD_RE.test(every)).toBe(true));
  it.each(['0s', '0m', '1y', '2h', '2d', '1month', '01s', '-1s', '1.5s', '10000000s', ''])('refuses %s', (every) => expect(PERIOD_RE.test(every)).toBe(false));
  it('knows IANA timezones', () => {
    expect(isValidTimezone('Europe/Berlin')).toBe(true);
    expect(isValidTimezone('UTC')).toBe(true);
    expect(isValidTimezone('Mars/Olympus_Mons')).toBe(false);
    expect(fixedSeconds('15m')).toBe(900);
    expect(fixedSeconds('1mo')).toBeUndefined();
  });
});

describe('days through daylight-saving changes (Europe/Berlin)', () => {
  const day = { every: '1d', timezone: 'Europe/Berlin' };
  it('the day clocks go forward is 23 hours long', () => {
    // 29 March 2026: 02:00 CET becomes 03:00 CEST.
    expect(iso(periodStart(day, at('2026-03-29T12:00:00Z')))).toBe('2026-03-28T23:00:00.000Z');
    expect(iso(periodEnd(day, at('2026-03-29T12:00:00Z')))).toBe('2026-03-29T22:00:00.000Z');
  });
  it('the day clocks go back is 25 hours long', () => {
    // 25 October 2026: 03:00 CEST becomes 02:00 CET.
    expect(iso(periodStart(day, at('2026-10-25T12:00:00Z')))).toBe('2026-10-24T22:00:00.000Z');
    expect(iso(periodEnd(day, at('2026-10-25T12:00:00Z')))).toBe('2026-10-25T23:00:00.000Z');
  });
  it('one millisecond before midnight is still the old day', () => {
    expect(iso(periodEnd(day, at('2026-03-28T22:59:59.999Z')))).toBe('2026-03-28T23:00:00.000Z');
    expect(iso(periodStart(day, at('2026-03-28T23:00:00.000Z')))).toBe('2026-03-28T23:00:00.000Z');
  });
});

describe('months and weeks', () => {
  it('after 31 January comes February (the month starts on its first, at local midnight)', () => {
    const month = { every: '1mo', timezone: 'Europe/Berlin' };
    expect(iso(periodStart(month, at('2026-01-31T20:00:00Z')))).toBe('2025-12-31T23:00:00.000Z');
    expect(iso(periodEnd(month, at('2026-01-31T20:00:00Z')))).toBe('2026-01-31T23:00:00.000Z');
    // February of a leap year ends on the 29th.
    expect(iso(periodEnd(month, at('2028-02-15T00:00:00Z')))).toBe('2028-02-29T23:00:00.000Z');
    // The month that holds the spring change starts in winter time and ends in summer time.
    expect(iso(periodEnd(month, at('2026-03-15T00:00:00Z')))).toBe('2026-03-31T22:00:00.000Z');
  });
  it('weeks start on Monday', () => {
    const week = { every: '1w', timezone: 'America/New_York' };
    // Sunday 1 November 2026 at noon in New York: the week began Monday 26 October.
    expect(iso(periodStart(week, at('2026-11-01T17:00:00Z')))).toBe('2026-10-26T04:00:00.000Z');
    expect(iso(periodEnd(week, at('2026-11-01T17:00:00Z')))).toBe('2026-11-02T05:00:00.000Z');
  });
  it('half-hour zones and half-hour daylight saving', () => {
    expect(iso(periodStart({ every: '1d', timezone: 'Asia/Kolkata' }, at('2026-06-01T20:00:00Z')))).toBe('2026-06-01T18:30:00.000Z');
    // Lord Howe Island moves its clocks by 30 minutes: the first Sunday of April 2026 is 24.5 hours long.
    const howe = { every: '1d', timezone: 'Australia/Lord_Howe' };
    const start = periodStart(howe, at('2026-04-05T06:00:00Z'));
    expect(periodEnd(howe, at('2026-04-05T06:00:00Z')).getTime() - start.getTime()).toBe(24.5 * 3_600_000);
  });
});

describe('a day whose midnight does not exist (America/Havana moves its clocks at 00:00)', () => {
  it('starts at its first instant, 01:00, and ends at the next midnight', () => {
    const day = { every: '1d', timezone: 'America/Havana' };
    expect(iso(periodStart(day, at('2026-03-08T12:00:00Z')))).toBe('2026-03-08T05:00:00.000Z');
    expect(iso(periodEnd(day, at('2026-03-08T12:00:00Z')))).toBe('2026-03-09T04:00:00.000Z');
  });
  it('where midnight happens twice, a day starts at the first one', () => {
    const day = { every: '1d', timezone: 'America/Havana' };
    // 1 November 2026: 01:00 CDT becomes 00:00 CST. 00:14 CST is the second 00:14 of the day.
    expect(iso(periodStart(day, at('2026-11-01T05:14:00Z')))).toBe('2026-11-01T04:00:00.000Z');
    expect(iso(periodEnd(day, at('2026-10-31T20:00:00Z')))).toBe('2026-11-01T04:00:00.000Z');
  });
});

describe('seconds, minutes and hours are aligned to UTC', () => {
  it.each([
    ['2s', '2026-12-01T10:00:03.500Z', '2026-12-01T10:00:02.000Z', '2026-12-01T10:00:04.000Z'],
    ['15m', '2026-12-01T10:07:00Z', '2026-12-01T10:00:00.000Z', '2026-12-01T10:15:00.000Z'],
    ['1h', '2026-12-01T10:59:59Z', '2026-12-01T10:00:00.000Z', '2026-12-01T11:00:00.000Z'],
  ])('%s at %s: from %s to %s, whatever the timezone', (every, when, from, to) => {
    for (const timezone of ['UTC', 'Asia/Kolkata', 'Australia/Lord_Howe']) {
      expect(iso(periodStart({ every, timezone }, at(when)))).toBe(from);
      expect(iso(periodEnd({ every, timezone }, at(when)))).toBe(to);
    }
  });
});
