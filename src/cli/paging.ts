// Lists page with `?limit=` and an opaque `?cursor=` (SPEC §3). One page at a time, or every page
// with --all (bounded by MAX_PAGES, so a server that never ends a list cannot loop us forever).
import { UsageError } from './cli-io';
import { intOption, Invocation, OptionDef, stringOption } from './command';

export const MAX_PAGE_SIZE = 500;
export const MAX_PAGES = 10_000;

export const PAGE_OPTIONS: Record<string, OptionDef> = {
  limit: { type: 'string', value: 'N', description: `entries per page (1-${MAX_PAGE_SIZE}, server default 50)` },
  cursor: { type: 'string', value: 'CURSOR', description: 'start at this next_cursor of an earlier page' },
  all: { type: 'boolean', description: 'follow next_cursor to the last page' },
};

export interface PageQuery {
  limit?: string;
  cursor?: string;
}

export interface Listing<T> {
  rows: T[];
  nextCursor: string | null;
  /** The server's JSON: the page itself, or every page merged under the same key. */
  body: Record<string, unknown>;
}

export function pageQuery(inv: Invocation): PageQuery {
  const limit = intOption(inv, 'limit', 1);
  if (limit !== undefined && limit > MAX_PAGE_SIZE) throw new UsageError(`argument --limit: must be <= ${MAX_PAGE_SIZE}`, inv.help);
  const cursor = stringOption(inv.values, 'cursor');
  return { ...(limit !== undefined ? { limit: String(limit) } : {}), ...(cursor ? { cursor } : {}) };
}

/** Reads one page, or all of them, of a list whose rows are under `key`. */
export async function readListing<T>(
  key: string,
  query: PageQuery,
  all: boolean,
  fetchPage: (query: PageQuery) => Promise<object>,
): Promise<Listing<T>> {
  const rows: T[] = [];
  let page = (await fetchPage(query)) as Record<string, unknown>;
  rows.push(...((page[key] as T[]) ?? []));
  for (let n = 1; all && typeof page.next_cursor === 'string' && n < MAX_PAGES; n++) {
    page = (await fetchPage({ ...query, cursor: page.next_cursor })) as Record<string, unknown>;
    rows.push(...((page[key] as T[]) ?? []));
  }
  const nextCursor = typeof page.next_cursor === 'string' ? page.next_cursor : null;
  return { rows, nextCursor, body: all ? { ...page, [key]: rows, next_cursor: nextCursor } : page };
}
