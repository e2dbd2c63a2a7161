// Tells a lost or unreachable PostgreSQL apart from a bug: such an error is a 503
// `database_unavailable` (fail closed, retry later), never a 500. Errors arrive raw from `pg`
// (on the money path's own SQL) or wrapped by Prisma and its driver adapter, so the whole cause
// chain is searched.

/** Socket-level failures of the connection to the server. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'EAI_AGAIN']);
/** Prisma: cannot reach, timed out, server closed the connection, no pool connection in time. */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
/**
 * PostgreSQL SQLSTATEs: class 08 (connection exception), 57P01-57P03 (shutting down, crashed,
 * cannot connect now), 57014 (statement timeout: the server is too slow to answer), 53300 (too
 * many connections).
 */
const SQLSTATE = /^(08\d{3}|57P0[123]|57014|53300)$/;
/**
 * node-postgres: the connection died, no pool connection within `connectionTimeoutMillis`, or no
 * answer within `query_timeout` (CAP_DB_QUERY_TIMEOUT_MS: a server that hangs). Prisma: its own
 * wordings of the same.
 */
const MESSAGES =
  /Query read timeout|Connection terminated|Server has closed the connection|timeout exceeded when trying to connect|Can't reach database server|Client has encountered a connection error|Connection closed|the database system is (starting up|shutting down|in recovery)/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e = err as Record<string, any> | undefined, depth = 0; e && typeof e === 'object' && depth < 8 && !seen.has(e); depth++) {
    seen.add(e);
    const code = e.code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || PRISMA_CODES.has(code) || SQLSTATE.test(code))) return true;
    if (typeof e.message === 'string' && MESSAGES.test(e.message)) return true;
    const adapter = e.meta?.driverAdapterError?.cause ?? e.cause;
    if (adapter && typeof adapter === 'object' && (SQLSTATE.test(String(adapter.originalCode ?? '')) || NETWORK_CODES.has(String(adapter.originalCode ?? '')))) return true;
    e = adapter ?? e.cause;
  }
  return false;
}
