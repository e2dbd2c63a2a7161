import fc from 'fast-check';
import { ceilDiv, floorDiv, formatScaledDecimal, parseScaledDecimal } from './exact-decimal';

describe('parseScaledDecimal', () => {
  it('scales decimal tokens exactly', () => {
    expect(parseScaledDecimal('7.5', 9)).toBe(7_500_000_000n);
    expect(parseScaledDecimal('0.075', 9)).toBe(75_000_000n);
    expect(parseScaledDecimal('15', 9)).toBe(15_000_000_000n);
    expect(parseScaledDecimal('2.0', 6)).toBe(2_000_000n);
    expect(parseScaledDecimal('1e-05', 9)).toBe(10_000n);
    expect(parseScaledDecimal('1.5E+2', 0)).toBe(150n);
    expect(parseScaledDecimal('-0.25', 2)).toBe(-25n);
    expect(parseScaledDecimal('0.0000000010', 9)).toBe(1n);
  });

  it('refuses what the scale cannot hold exactly', () => {
    expect(parseScaledDecimal('0.0000000001', 9)).toBeUndefined();
    expect(parseScaledDecimal('1e-10', 9)).toBeUndefined();
  });

  it('refuses non-numbers and absurd exponents', () => {
    expect(parseScaledDecimal('abc', 9)).toBeUndefined();
    expect(parseScaledDecimal('1e999999999', 9)).toBeUndefined();
    expect(parseScaledDecimal('', 9)).toBeUndefined();
  });
});

describe('formatScaledDecimal', () => {
  it('writes exact decimals without trailing zeros', () => {
    expect(formatScaledDecimal(7_500_000_000n, 9)).toBe('7.5');
    expect(formatScaledDecimal(15_000_000_000n, 9)).toBe('15');
    expect(formatScaledDecimal(1n, 9)).toBe('0.000000001');
    expect(formatScaledDecimal(-25n, 2)).toBe('-0.25');
    expect(formatScaledDecimal(0n, 6)).toBe('0');
    expect(formatScaledDecimal(42n, 0)).toBe('42');
  });

  it('round-trips with parseScaledDecimal', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.integer({ min: 0, max: 18 }), (v, scale) => {
        expect(parseScaledDecimal(formatScaledDecimal(v, scale), scale)).toBe(v);
      }),
    );
  });
});

describe('ceilDiv and floorDiv', () => {
  it('round toward +∞ and −∞', () => {
    expect(ceilDiv(7n, 2n)).toBe(4n);
    expect(ceilDiv(-7n, 2n)).toBe(-3n);
    expect(ceilDiv(6n, 2n)).toBe(3n);
    expect(floorDiv(7n, 2n)).toBe(3n);
    expect(floorDiv(-7n, 2n)).toBe(-4n);
    expect(() => ceilDiv(1n, 0n)).toThrow(RangeError);
  });
});
