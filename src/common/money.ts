// Money arithmetic in one place (STYLE: "one owner per concern"). Every amount is an integer
// number of microcents (1 cent = 1,000,000 µ¢) held in a bigint; cents appear only at the edges,
// rounded toward the safe side for the figure in question.

export const MICROCENTS_PER_CENT = 1_000_000n;

/** The largest amount in cents an API field accepts: $10B, far inside bigint's range in µ¢. */
export const MAX_CENTS = 1_000_000_000_000;

/**
 * The largest amount the ledger keeps anywhere (a limit, a hold, a cost): MAX_CENTS in µ¢, 1e18,
 * with room below bigint's 9.2e18 for sums. Larger amounts are refused before any SQL runs.
 */
export const MAX_MICROCENTS = 1_000_000_000_000_000_000n;

export function centsToMicrocents(cents: number | bigint): bigint {
  return BigInt(cents) * MICROCENTS_PER_CENT;
}

/** Whole cents, rounded down: for what an agent may still spend. */
export function microcentsToCentsFloor(microcents: bigint): number {
  const q = microcents / MICROCENTS_PER_CENT;
  const exact = q * MICROCENTS_PER_CENT === microcents;
  return Number(microcents < 0n && !exact ? q - 1n : q);
}

/** Whole cents, rounded up: for what was spent or is held. */
export function microcentsToCentsCeil(microcents: bigint): number {
  const q = microcents / MICROCENTS_PER_CENT;
  const exact = q * MICROCENTS_PER_CENT === microcents;
  return Number(microcents > 0n && !exact ? q + 1n : q);
}

export function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

export function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
