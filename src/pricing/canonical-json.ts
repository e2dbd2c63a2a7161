// The canonical JSON that pricing signatures cover: byte-for-byte what the seed's Python signer
// writes with json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
// allow_nan=False). Numbers are re-rendered from their source tokens (never via a JS number
// round trip of the whole document), because Python keeps `2.0` apart from `2`.

import { isLosslessNumber, parse, type LosslessNumber } from 'lossless-json';

export class CanonicalJsonError extends Error {
  override readonly name = 'CanonicalJsonError';
}

export interface CanonicalJsonOptions {
  /** Keys dropped from the top-level object only (e.g. `signature`). */
  omitTopLevelKeys?: string[];
}

/**
 * Parses JSON text the way Python's json.loads does for the documents we sign (numbers kept as
 * tokens, duplicate keys: the last one wins) and returns its canonical serialisation.
 */
export function canonicalJson(text: string, opts: CanonicalJsonOptions = {}): string {
  const doc = parsePythonCompatible(text);
  const omit = new Set(opts.omitTopLevelKeys ?? []);
  if (omit.size > 0 && isPlainObject(doc)) {
    const kept: Record<string, unknown> = {};
    for (const key of Object.keys(doc)) {
      if (!omit.has(key)) defineKey(kept, key, doc[key]);
    }
    return serialise(kept);
  }
  return serialise(doc);
}

/** lossless-json parse with Python's duplicate-key rule (last wins) instead of throwing. */
export function parsePythonCompatible(text: string): unknown {
  try {
    return parse(text, null, { onDuplicateKey: ({ newValue }) => newValue });
  } catch (err) {
    throw new CanonicalJsonError(`invalid JSON: ${(err as Error).message}`);
  }
}

function serialise(value: unknown): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'string') return pythonJsonString(value);
  if (isLosslessNumber(value)) return pythonNumber((value as LosslessNumber).value);
  if (Array.isArray(value)) return `[${value.map(serialise).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort(compareCodePoints);
    return `{${keys.map((k) => `${pythonJsonString(k)}:${serialise(value[k])}`).join(',')}}`;
  }
  throw new CanonicalJsonError(`unexpected value of type ${typeof value}`);
}

/**
 * A JSON number token as Python writes it back: integers stay exact at any size; floats go
 * through float() and repr(), which also means overflow to inf is refused (allow_nan=False).
 */
export function pythonNumber(token: string): string {
  if (!/[.eE]/.test(token)) return BigInt(token).toString();
  const value = Number(token);
  if (!Number.isFinite(value)) {
    throw new CanonicalJsonError(`number ${token} is out of range for a float (allow_nan=False)`);
  }
  return pythonFloatRepr(value);
}

/** Python's repr(float): shortest round-trip digits, exponent form when exp < -4 or >= 16. */
export function pythonFloatRepr(value: number): string {
  if (!Number.isFinite(value)) throw new CanonicalJsonError('NaN and Infinity are not allowed');
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  // toExponential() without an argument gives the shortest digits that round-trip, as repr does.
  const [mantissa, expText] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(expText);
  if (exponent < -4 || exponent >= 16) {
    const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const expSign = exponent < 0 ? '-' : '+';
    return `${sign}${head}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const intLength = exponent + 1;
  if (digits.length <= intLength) return `${sign}${digits}${'0'.repeat(intLength - digits.length)}.0`;
  return `${sign}${digits.slice(0, intLength)}.${digits.slice(intLength)}`;
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/** json.dumps string with ensure_ascii=False: only `"`, `\` and C0 controls are escaped. */
export function pythonJsonString(value: string): string {
  const escaped = value.replace(/["\\\u0000-\u001f]/g, (ch) => {
    return SHORT_ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  return `"${escaped}"`;
}

/**
 * Orders strings by Unicode code point, as Python sorts str. JS's default sort compares UTF-16
 * code units, which puts U+FFFF after an astral character such as an emoji.
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // Where the units differ, a surrogate (a code point above U+FFFF) outranks any BMP unit
    // from U+E000 up; below U+D800 plain unit order already matches code point order.
    return codePointRank(ca) - codePointRank(cb);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  return unit >= 0xd800 && unit <= 0xdfff ? unit + 0x10000 : unit;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isLosslessNumber(value);
}

function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  // A `__proto__` key must stay an own data property, not reach the prototype setter.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
