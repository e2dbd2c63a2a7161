// Cursor pagination of SPEC §3: ?limit= (default 50, max 500) and an opaque ?cursor=.
import { z } from 'zod';
import { ApiError } from '../errors/api-error';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export const pageQuerySchema = z
  .object({
    limit: z
      .string()
      // Exactly 1…500, so the published pattern says what the server takes.
      .regex(/^(?:[1-9]\d?|[1-4]\d\d|500)$/, `a whole number from 1 to ${MAX_PAGE_SIZE}`)
      .transform(Number)
      .default(DEFAULT_PAGE_SIZE),
    cursor: z.string().min(1).max(512).optional(),
  })
  .strict();

/** A timestamp inside a cursor: within what Postgres and JS dates both hold. */
export const cursorTimestamp = z.iso.datetime().refine((v) => {
  const year = Number(v.slice(0, 4));
  return year >= 1970 && year <= 9999;
});

/** A ledger sequence number inside a cursor: a positive bigint. */
export const cursorSeq = z
  .string()
  .regex(/^\d{1,19}$/)
  .refine((v) => BigInt(v) <= 9_223_372_036_854_775_807n);

export function encodeCursor(parts: (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

/** Decodes a cursor made by encodeCursor, checking each part's shape; 400 otherwise. */
export function decodeCursor<T extends z.ZodTypeAny>(cursor: string, shape: T): z.infer<T> {
  try {
    const parsed = shape.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through
  }
  throw new ApiError('invalid_cursor', 'cursor is not one this server issued');
}

/** A page fetched with limit+1 rows: the extra row only says whether there is more. */
export function page<T>(rows: T[], limit: number, cursorOf: (last: T) => string): { items: T[]; next_cursor: string | null } {
  const items = rows.slice(0, limit);
  return { items, next_cursor: rows.length > limit ? cursorOf(items[items.length - 1]) : null };
}
