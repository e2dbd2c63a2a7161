// What an import keeps of a seed ledger row's meta_json, which holds the request and the response,
// prompts and completions included (SQLITE.md). Without prompt capture (SPEC §7) only this digest
// is kept: a SHA-256 of the whole text, its length, and its numeric and boolean leaves (latencies,
// token counts, max_tokens, temperature, stream flags). Strings are never kept, whatever their key:
// any of them may be prompt or completion text. Arrays are skipped for the same reason (messages).
import { createHash } from 'node:crypto';
import { MAX_META_FIELDS, META_FIELD_KEY_RE, SeedMeta } from './seed-store.schema';

/** Objects nested deeper than this in meta_json are not searched for fields. */
const MAX_DEPTH = 4;

export function seedMetaDigest(metaJson: string): SeedMeta {
  const fields: Record<string, number | boolean> = {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(metaJson);
  } catch {
    parsed = undefined; // not JSON (or Python's NaN): the digest alone says it was there
  }
  collect(parsed, '', 0, fields);
  return {
    sha256: createHash('sha256').update(metaJson, 'utf8').digest('hex'),
    bytes: Buffer.byteLength(metaJson, 'utf8'),
    fields,
  };
}

function collect(node: unknown, prefix: string, depth: number, out: Record<string, number | boolean>): void {
  if (depth > MAX_DEPTH || node === null || typeof node !== 'object' || Array.isArray(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if (Object.keys(out).length >= MAX_META_FIELDS) return;
    const path = prefix ? `${prefix}.${key}` : key;
    // A key shaped like text rather than a name could itself be content: leave it and what is under it.
    if (!META_FIELD_KEY_RE.test(path)) continue;
    if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') out[path] = value;
    else collect(value, path, depth + 1, out);
  }
}
