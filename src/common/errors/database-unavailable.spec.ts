import { isDatabaseUnavailable } from './database-unavailable';
import { toErrorResponse } from './to-error-response';

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a reset connection', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['pg: connection terminated', new Error('Connection terminated unexpectedly')],
    ['pg: pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['pg: a new connection hanging in its start-up', new Error('Connection terminated due to connection timeout')],
    ['pg: no answer within query_timeout (a hung server)', new Error('Query read timeout')],
    ['Prisma: server closed the connection', Object.assign(new Error('Invalid `this.prisma.apiKey.findUnique()` invocation: Server has closed the connection.'), { code: 'P1017' })],
    ['a server shutting down (57P01)', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['a statement timeout (57014)', Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })],
    ['a wrapped cause', new Error('query failed', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) })],
    ['a driver adapter error', Object.assign(new Error('x'), { meta: { driverAdapterError: { cause: { originalCode: '08006', kind: 'postgres' } } } })],
  ])('recognises %s, which answers 503 database_unavailable', (_name, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
    const res = toErrorResponse(err);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('database_unavailable');
    expect(res.unexpected).toBe(false);
  });

  it.each([
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['a unique violation', Object.assign(new Error('duplicate key value'), { code: '23505' })],
    ['a check violation', Object.assign(new Error('violates check constraint'), { code: '23514' })],
    ['not an error', 'oops'],
  ])('leaves %s a 500', (_name, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
    expect(toErrorResponse(err).status).toBe(500);
  });
});
