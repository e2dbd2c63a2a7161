// Secrets shown once (SPEC §7): a route that answers with a secret (a new API key, a new
// tenant's admin key) names where it is in its answer. The Idempotency-Key record keeps that
// field as null, so the secret is never at rest and a replay never shows it again: a client that
// lost the first answer revokes the key and creates another.
import { SetMetadata } from '@nestjs/common';

export const SHOWN_ONCE = 'spendguard:shown-once';

/** Dotted paths (`secret`, `api_key.secret`) of answer fields that are secrets shown once. */
export const ShownOnce = (...paths: string[]) => SetMetadata(SHOWN_ONCE, paths);

/** A copy of `body` with every shown-once field set to null (the fields that exist). */
export function withoutShownOnce(body: unknown, paths: readonly string[]): unknown {
  let out = body;
  for (const path of paths) out = nullAt(out, path.split('.'));
  return out;
}

function nullAt(value: unknown, path: string[]): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value) || !(path[0] in value)) return value;
  const [head, ...rest] = path;
  const record = value as Record<string, unknown>;
  return { ...record, [head]: rest.length ? nullAt(record[head], rest) : null };
}
