// Requests Node's HTTP parser refuses before Fastify sees them (a control byte in a header,
// Content-Length with Transfer-Encoding, headers past 16 KiB, a request line that is not HTTP):
// answered in the SPEC §8 error body with a stable code, and logged as one line, instead of
// Fastify's `{"error":"Bad Request","message":"Client Error"}`. Fastify's `clientErrorHandler`
// option; the connection cannot be trusted any further, so it is closed after the answer.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { errorBody } from '../errors/api-error';
import { ErrorCode, ERROR_CODES } from '../errors/error-codes';
import { requestIdFrom } from './ids';

interface ClientError extends Error {
  code?: string;
  /** llhttp's own words for what it refused ("Invalid header value char"): fixed strings, no request bytes. */
  reason?: string;
}

const FRAMING = ['HPE_UNEXPECTED_CONTENT_LENGTH', 'HPE_INVALID_CONTENT_LENGTH', 'HPE_INVALID_TRANSFER_ENCODING', 'HPE_INVALID_CHUNK_SIZE', 'HPE_CHUNK_EXTENSIONS_OVERFLOW', 'HPE_INVALID_EOF_STATE'];

const CODES: Record<string, ErrorCode> = {
  HPE_HEADER_OVERFLOW: 'headers_too_large',
  HPE_INVALID_HEADER_TOKEN: 'invalid_header',
  ERR_HTTP_REQUEST_TIMEOUT: 'request_timeout',
  ...Object.fromEntries(FRAMING.map((c) => [c, 'invalid_framing' as const])),
};

const MESSAGES: Partial<Record<ErrorCode, string>> = {
  headers_too_large: 'request headers are larger than this server accepts (16 KiB)',
  invalid_header: 'a header name or value holds a byte HTTP does not allow (a control character such as NUL, CR or DEL)',
  invalid_framing: "the request's length is ambiguous or malformed (Content-Length with Transfer-Encoding, two Content-Lengths, a bad chunk)",
  request_timeout: 'the request was not received in time',
  malformed_request: 'the request is not valid HTTP/1.1',
};

/** Reasons are llhttp's fixed strings; anything else is not echoed. */
const SAFE_REASON = /^[\x20-\x7e]{1,120}$/;

/** The code, message and complete HTTP/1.1 answer for a parser error. */
export function clientErrorResponse(err: ClientError, requestId: string): { code: ErrorCode; status: number; raw: string } {
  const code = CODES[err.code ?? ''] ?? 'malformed_request';
  const { status } = ERROR_CODES[code];
  const reason = typeof err.reason === 'string' && SAFE_REASON.test(err.reason) ? ` (${err.reason})` : '';
  const body = JSON.stringify({ ...errorBody(code, `${MESSAGES[code]}${reason}`), request_id: requestId });
  const raw =
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
    'content-type: application/json; charset=utf-8\r\n' +
    `content-length: ${Buffer.byteLength(body)}\r\n` +
    `x-request-id: ${requestId}\r\n` +
    'connection: close\r\n\r\n' +
    body;
  return { code, status, raw };
}

/** How long a client gets to read the answer and hang up before the connection is destroyed. */
const LINGER_MS = 2_000;

export function clientErrorHandler(this: { log: FastifyBaseLogger }, err: ClientError, socket: Socket): void {
  // The peer is gone, or this connection was already answered (the parser reports again on more bytes).
  if (err.code === 'ECONNRESET' || socket.destroyed || socket.writableEnded) return;
  const requestId = requestIdFrom(undefined);
  const { code, status, raw } = clientErrorResponse(err, requestId);
  this.log.info({ request_id: requestId, status, code, reason: err.code, remote_address: socket.remoteAddress }, 'request refused by the HTTP parser');
  // As Node's own default: never write into an answer of an earlier request on this connection
  // that has started to go out.
  const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || current?.headersSent) {
    socket.destroy();
    return;
  }
  // end() rather than write() + destroy(): destroying at once can reset the connection before
  // the client has read the answer.
  socket.end(raw);
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
