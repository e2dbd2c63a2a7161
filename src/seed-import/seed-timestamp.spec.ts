import { parseSeedTimestamp } from './seed-timestamp';

describe('parseSeedTimestamp', () => {
  it("reads Python's isoformat() in UTC, keeping milliseconds", () => {
    expect(parseSeedTimestamp('2026-02-18T00:00:00.123456+00:00')).toBe('2026-02-18T00:00:00.123Z');
    expect(parseSeedTimestamp('2026-02-18T00:00:00+00:00')).toBe('2026-02-18T00:00:00.000Z');
  });

  it('applies an offset, and reads a timestamp without one as UTC (as the seed meant it)', () => {
    expect(parseSeedTimestamp('2026-02-18T02:30:00.5+02:30')).toBe('2026-02-18T00:00:00.500Z');
    expect(parseSeedTimestamp('2026-02-18T00:00:00.123456')).toBe('2026-02-18T00:00:00.123Z');
    expect(parseSeedTimestamp('2026-02-18 07:08:09')).toBe('2026-02-18T07:08:09.000Z');
    expect(parseSeedTimestamp('2026-02-18T07:08:09Z')).toBe('2026-02-18T07:08:09.000Z');
  });

  it('refuses what is not a date and time', () => {
    for (const bad of ['', 'yesterday', '1760000000', '2026-02-30T00:00:00+00:00', '2026-13-01T00:00:00', '2026-02-18T25:00:00', '12026-01-01T00:00:00']) {
      expect(parseSeedTimestamp(bad)).toBeUndefined();
    }
  });
});
