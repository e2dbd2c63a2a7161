// Idempotency-Key on mutating admin requests (SPEC §8, formance log.go): the same key with the
// same request replays the first answer (`idempotent-replayed: true`); with another request → 422;
// while the first is still running → 409. Keys are scoped to the tenant. Only successful answers
// are kept: after an error the key is free again, so a corrected retry can use it.
import { createHash } from 'node:crypto';
import { CallHandler, ExecutionContext, HttpStatus, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { catchError, from, map, Observable, of, switchMap, throwError } from 'rxjs';
import { AuthContext } from '../../auth/auth-context';
import { APP_CONFIG } from '../../config/config.module';
import { AppConfig } from '../../config/config.schema';
import { PrismaService } from '../../database/prisma.service';
import { Prisma } from '../../generated/prisma/client';
import { ApiError } from '../errors/api-error';

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

@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
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

    return from(this.claim(tenantId, header, request.method, request.url, requestHash)).pipe(
      switchMap((replay) => {
        if (replay !== undefined) {
          reply.header('idempotent-replayed', 'true');
          return of(replay);
        }
        return next.handle().pipe(
          switchMap((body) => from(this.complete(tenantId, header, body, status)).pipe(map(() => body))),
          catchError((err) => from(this.forget(tenantId, header)).pipe(switchMap(() => throwError(() => err)))),
        );
      }),
    );
  }

  /** Claims the key for this request; returns the recorded answer when it is a replay. */
  private async claim(tenantId: string, key: string, method: string, path: string, requestHash: string): Promise<unknown> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const inserted = await this.prisma.idempotencyKey.createMany({
        data: [{ tenantId, key, method, path, requestHash, status: 'running' }],
        skipDuplicates: true,
      });
      if (inserted.count === 1) return undefined;
      const existing = await this.prisma.idempotencyKey.findUnique({ where: { tenantId_key: { tenantId, key } } });
      if (!existing) continue; // freed meanwhile: claim again
      const ageMs = Date.now() - existing.createdAt.getTime();
      if (ageMs > this.config.idempotencyTtlSeconds * 1000) {
        await this.forget(tenantId, key);
        continue;
      }
      if (existing.requestHash !== requestHash) {
        throw new ApiError('idempotency_key_reused', 'this Idempotency-Key was used with a different request');
      }
      if (existing.status !== 'done') {
        throw new ApiError('idempotency_in_progress', 'a request with this Idempotency-Key is still running; retry later', {}, { 'retry-after': '1' });
      }
      return existing.responseBody;
    }
    throw new ApiError('idempotency_in_progress', 'this Idempotency-Key is contended; retry later', {}, { 'retry-after': '1' });
  }

  private async complete(tenantId: string, key: string, body: unknown, status: number): Promise<void> {
    await this.prisma.idempotencyKey
      .update({
        where: { tenantId_key: { tenantId, key } },
        data: { status: 'done', responseStatus: status, responseBody: (body ?? null) as Prisma.InputJsonValue },
      })
      .catch(() => undefined);
  }

  private async forget(tenantId: string, key: string): Promise<void> {
    await this.prisma.idempotencyKey.deleteMany({ where: { tenantId, key } }).catch(() => undefined);
  }
}
