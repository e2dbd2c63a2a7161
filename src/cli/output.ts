// How the CLI prints: `key=value` text with values written as the seed's Python CLI wrote them
// (None, True, False), and `--json` as its `json.dumps(data, indent=2, sort_keys=True)` did, so
// scripts written against the seed read the same bytes.
import { CliIo } from './cli-io';

/** A value as Python's str() printed it in the seed's key=value lines. */
export function pyValue(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (Array.isArray(value)) return value.map(pyValue).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    // Python sorts by code point; JS's default sort compares UTF-16 units, the same for BMP keys.
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/** `json.dumps(value, indent=2, sort_keys=True)`: sorted keys, non-ASCII escaped as \uXXXX. */
export function pythonJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function printJson(io: CliIo, value: unknown): void {
  io.out(pythonJson(value));
}

/** `key=value` lines for the keys the object has, in the order given. */
export function printFields(io: CliIo, data: object, keys: readonly string[]): void {
  const record = data as Record<string, unknown>;
  for (const key of keys) if (key in record) io.out(`${key}=${pyValue(record[key])}`);
}

/** One line of `key=value` pairs, leaving out keys whose value is null or missing. */
export function fieldLine(data: object, keys: readonly string[]): string {
  const record = data as Record<string, unknown>;
  return keys
    .filter((k) => record[k] !== null && record[k] !== undefined)
    .map((k) => `${k}=${pyValue(record[k])}`)
    .join(' ');
}

/** The lines of a page of rows, `(no …)` when there are none, then `next_cursor=…` if more follow. */
export function printRows<T extends object>(io: CliIo, rows: T[], line: (row: T) => string, empty: string, nextCursor?: string | null): void {
  if (rows.length === 0) io.out(empty);
  for (const row of rows) io.out(line(row));
  if (nextCursor) io.out(`next_cursor=${nextCursor}`);
}
