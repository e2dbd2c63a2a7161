// Idempotency-Key on mutating admin requests (SPEC §8, formance log.go): the same key with the
// same request replays the first answer (`idempotent-replayed: true`); with another request → 422;
// while the first is still running → 409. Keys are scoped to the tenant.
//
// The whole request runs in one database transaction (a transaction scope, ScopedPool): the key's
// advisory lock, the lookup, the handler's every write and the record of its answer commit
// together. So a retry after any failure — the answer lost after the commit, a read after the
// write failing, the process killed mid-way — either replays the committed answer or runs the
// request once; nothing is left "running". Only successful answers are kept: after an error
// everything rolls back and the key is free again, so a corrected retry can use it. Secrets in an
// answer (@ShownOnce) are recorded as null.
import { createHash } from 'node:crypto';
import { CallHandler, ExecutionContext, HttpStatus, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { defer, lastValueFrom, map, Observable } from 'rxjs';
import { AuthContext } from '../../auth/auth-context';
import { APP_CONFIG } from '../../config/config.module';
import { AppConfig } from '../../config/config.schema';
import { PG_POOL } from '../../database/prisma.service';
import { ScopedPool } from '../../database/scoped-pool';
import { ApiError } from '../errors/api-error';
import { findRecord, IdempotencyRecord, saveRecord, tryLockKey } from './idempotency-records';
import { SHOWN_ONCE, withoutShownOnce } from './shown-once';

/** Operator requests (hosted, outside any tenant) keep their keys under the nil UUID. */
const OPERATOR_SCOPE = '00000000-0000-0000-0000-000000000000';
const KEY_RE = /^[\x21-\x7e]{1,255}$/;
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** No admin request nests deeper; a body that does is refused before it can exhaust the stack. */
const MAX_DEPTH = 64;

export function stableJson(value: unknown, depth = 0): string {
  if (depth > MAX_DEPTH) throw new ApiError('validation_failed', `request body nests deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) return `[${value.map((v) => stableJson(v, depth + 1)).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k], depth + 1)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

interface Outcome {
  body: unknown;
  replayed: boolean;
}

@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    @Inject(PG_POOL) private readonly pool: ScopedPool,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & { user?: AuthContext }>();
    const header = request.headers['idempotency-key'];
    if (header === undefined || !MUTATING.has(request.method)) return next.handle();
    if (typeof header !== 'string' || !KEY_RE.test(header)) {
      throw new ApiError('validation_failed', 'Idempotency-Key must be 1-255 visible ASCII characters, sent once');
    }
    const tenantId = request.user?.tenantId ?? OPERATOR_SCOPE;
    const requestHash = createHash('sha256')
      .update(`${request.method} ${request.url}\n${stableJson(request.body ?? null)}`)
      .digest('hex');
    const reply = http.getResponse<FastifyReply>();
    const status: number =
      Reflect.getMetadata(HTTP_CODE_METADATA, context.getHandler()) ??
      (request.method === 'POST' ? HttpStatus.CREATED : HttpStatus.OK);
    const shownOnce = this.reflector.get<string[] | undefined>(SHOWN_ONCE, context.getHandler()) ?? [];

    const replayOf = (record: IdempotencyRecord): Outcome => {
      if (record.requestHash !== requestHash) {
        throw new ApiError('idempotency_key_reused', 'this Idempotency-Key was used with a different request');
      }
      // Records are written without secrets; this also covers any written by an older release.
      return { body: withoutShownOnce(record.responseBody, shownOnce), replayed: true };
    };
    const run = async (): Promise<Outcome> => {
      // A committed answer is replayed at once, without a transaction: replays never queue
      // behind one another, nor take a 409 from each other's lock.
      const committed = await findRecord(this.pool, tenantId, header, this.config.idempotencyTtlSeconds);
      if (committed) return replayOf(committed);
      return this.pool.inTransaction(async (db) => {
        if (!(await tryLockKey(db, tenantId, header))) {
          throw new ApiError('idempotency_in_progress', 'a request with this Idempotency-Key is still running; retry later', {}, { 'retry-after': '1' });
        }
        // The first request may have committed between the read above and the lock.
        const existing = await findRecord(db, tenantId, header, this.config.idempotencyTtlSeconds);
        if (existing) return replayOf(existing);
        // next.handle() is called here, inside the scope: the handler's async context, and so
        // every query it makes, is the transaction's.
        const body = await lastValueFrom(next.handle(), { defaultValue: undefined });
        await saveRecord(db, {
          tenantId,
          key: header,
          method: request.method,
          path: request.url,
          requestHash,
          responseStatus: status,
          responseBody: withoutShownOnce(body, shownOnce),
        });
        return { body, replayed: false };
      });
    };
    return defer(run).pipe(
      map(({ body, replayed }) => {
        if (replayed) reply.header('idempotent-replayed', 'true');
        return body;
      }),
    );
  }
}
