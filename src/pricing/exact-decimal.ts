// Exact decimal <-> scaled bigint conversions for prices. A JSON number token such as `7.5` or
// `1e-05` becomes an integer count of 10^-scaleDigits units, or is refused when it cannot be
// represented exactly: prices are never rounded on the way in.

const NUMBER_TOKEN = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
// Bounds the exponent so a hostile token like 1e999999999 cannot make us build a giant bigint.
const MAX_ABS_EXPONENT = 400;

/** `token` × 10^scaleDigits as an exact bigint, or undefined when that is not an integer. */
export function parseScaledDecimal(token: string, scaleDigits: number): bigint | undefined {
  const match = NUMBER_TOKEN.exec(token.trim());
  if (!match) return undefined;
  const [, sign, intPart, fracPart = '', expPart = '0'] = match;
  const exponent = Number(expPart);
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > MAX_ABS_EXPONENT) return undefined;
  let digits = BigInt(intPart + fracPart);
  const shift = exponent - fracPart.length + scaleDigits;
  if (shift >= 0) {
    digits *= 10n ** BigInt(shift);
  } else {
    const divisor = 10n ** BigInt(-shift);
    if (digits % divisor !== 0n) return undefined;
    digits /= divisor;
  }
  return sign === '-' ? -digits : digits;
}

/** The exact decimal text of value × 10^-scaleDigits, without trailing zeros: `7.5`, `12`. */
export function formatScaledDecimal(value: bigint, scaleDigits: number): string {
  const negative = value < 0n;
  const magnitude = (negative ? -value : value).toString().padStart(scaleDigits + 1, '0');
  const intPart = magnitude.slice(0, magnitude.length - scaleDigits);
  const fracPart = magnitude.slice(magnitude.length - scaleDigits).replace(/0+$/, '');
  return `${negative ? '-' : ''}${intPart}${fracPart ? `.${fracPart}` : ''}`;
}

/** Smallest integer ≥ numerator / denominator, for a positive denominator. */
export function ceilDiv(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const quotient = numerator / denominator;
  return quotient * denominator < numerator ? quotient + 1n : quotient;
}

/** Largest integer ≤ numerator / denominator, for a positive denominator. */
export function floorDiv(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const quotient = numerator / denominator;
  return quotient * denominator > numerator ? quotient - 1n : quotient;
}
