import { centsToMicrocents, microcentsToCentsCeil, microcentsToCentsFloor } from './money';

describe('money', () => {
  it('converts cents to microcents exactly', () => {
    expect(centsToMicrocents(5000)).toBe(5_000_000_000n);
    expect(centsToMicrocents(1_000_000_000_000)).toBe(1_000_000_000_000_000_000n);
  });

  it('rounds remaining down and spent up, on both sides of zero', () => {
    expect(microcentsToCentsFloor(1_999_999n)).toBe(1);
    expect(microcentsToCentsCeil(1_000_001n)).toBe(2);
    expect(microcentsToCentsFloor(2_000_000n)).toBe(2);
    expect(microcentsToCentsCeil(2_000_000n)).toBe(2);
    expect(microcentsToCentsFloor(-1n)).toBe(-1);
    expect(microcentsToCentsCeil(-1n)).toBe(0);
    expect(microcentsToCentsFloor(0n)).toBe(0);
    expect(microcentsToCentsCeil(0n)).toBe(0);
  });
});
