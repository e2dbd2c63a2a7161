// Maps anything thrown while serving a request to the error body of SPEC §8. Used by the Nest
// exception filter and by Fastify's own error handler (body parsing happens before Nest).
import { HttpException } from '@nestjs/common';
import { ZodValidationException } from 'nestjs-zod';
import { ApiError, ErrorBody, errorBody } from './api-error';
import { isDatabaseUnavailable } from './database-unavailable';
import { ERROR_CODES, ErrorCode } from './error-codes';
import { SEED_VALIDATION_DETAILS } from './seed-details';

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** True when this is a bug: the request deserved an answer other than a 500. */
  unexpected: boolean;
}

interface ZodIssueLike {
  path: PropertyKey[];
  message: string;
  code: string;
  keys?: string[];
}

function describeIssues(issues: ZodIssueLike[]): string {
  return issues
    .slice(0, 5)
    .map((i) => {
      const where = i.path.length ? i.path.map(String).join('.') : 'body';
      if (i.code === 'unrecognized_keys' && i.keys) return `${where}: unknown field(s) ${i.keys.join(', ')}`;
      return `${where}: ${i.message}`;
    })
    .join('; ');
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_failed',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_BAD_URL: 'validation_failed',
  FST_ERR_MAX_PARAM_LENGTH: 'route_not_found',
};

const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Content-Length does not match the body',
  FST_ERR_BAD_URL: 'malformed URL (bad percent-encoding)',
  FST_ERR_MAX_PARAM_LENGTH: 'no such resource',
};

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'validation_failed',
  401: 'unauthenticated',
  403: 'insufficient_scope',
  404: 'route_not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

const FASTIFY_JSON_MESSAGE = /valid JSON|content-type is set to 'application\/json'/i;

const MESSAGES: Partial<Record<ErrorCode, string>> = {
  route_not_found: 'no such route',
  payload_too_large: 'request body is larger than this server accepts (CAP_MAX_BODY_BYTES)',
  unsupported_media_type: 'unsupported Content-Type; send application/json',
};

function plain(code: ErrorCode, message: string): ErrorResponse {
  return { status: ERROR_CODES[code].status, body: errorBody(code, message), headers: {}, unexpected: false };
}

export function toErrorResponse(exception: unknown, requestId?: string): ErrorResponse {
  const res = classify(exception);
  if (requestId) res.body.request_id = requestId;
  return res;
}

function classify(exception: unknown): ErrorResponse {
  if (exception instanceof ApiError) {
    return {
      status: exception.status,
      body: errorBody(exception.code, exception.message, exception.extra, exception.detail),
      headers: exception.headers,
      unexpected: false,
    };
  }
  if (exception instanceof ZodValidationException) {
    const issues = (exception.getZodError() as { issues: ZodIssueLike[] }).issues;
    const res = plain('validation_failed', `invalid request: ${describeIssues(issues)}`);
    const seed = issues.find((i) => SEED_VALIDATION_DETAILS.has(i.message));
    if (seed) res.body.detail = seed.message;
    res.body.issues = issues.map((i) => ({ path: i.path.map(String), message: i.message, code: i.code }));
    return res;
  }
  const fastifyCode = (exception as { code?: unknown })?.code;
  if (typeof fastifyCode === 'string' && FASTIFY_CODES[fastifyCode]) {
    const code = FASTIFY_CODES[fastifyCode];
    const fixed = FASTIFY_MESSAGES[fastifyCode] ?? MESSAGES[code];
    return plain(code, fixed ?? `malformed JSON body: ${(exception as Error).message}`);
  }
  if (exception instanceof SyntaxError && (exception as { statusCode?: number }).statusCode === 400) {
    return plain('invalid_json', `malformed JSON body: ${exception.message}`);
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const code = STATUS_CODES[status];
    // Nest turns Fastify's body-parser errors into bare HttpExceptions; their messages tell which.
    if (status === 400 && FASTIFY_JSON_MESSAGE.test(exception.message)) {
      return plain('invalid_json', `malformed JSON body: ${exception.message}`);
    }
    if (code) return plain(code, MESSAGES[code] ?? exception.message);
  }
  const status = (exception as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = STATUS_CODES[status] ?? 'validation_failed';
    return { ...plain(code, (exception as Error).message || 'bad request'), status };
  }
  if (isDatabaseUnavailable(exception)) {
    const res = plain('database_unavailable', 'the database is unavailable; retry later');
    res.headers = { 'retry-after': '1' };
    return res;
  }
  return { ...plain('internal_error', 'internal error; the request id identifies it in the logs'), unexpected: true };
}
