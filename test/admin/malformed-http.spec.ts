// SPEC §8: "Every error body, including those that Node or Fastify produce (bad headers, 431,
// framing errors), has the shape above." These requests are refused by Node's HTTP parser before
// any route runs; `fetch` cannot send them, so the exact bytes go over a raw socket.
import { expectErrorBody, snapshotDatabase } from '../support/admin-assertions';
import { RawResponse, sendRaw } from '../support/raw-http';
import { spawnInstance } from '../support/spawn-instance';
import { createTestDatabase } from '../support/test-database';
import { startTestApp, TestApp, TestResponse } from '../support/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const post = (headers: string[], body = '{"name":"smuggled"}') =>
  ['POST /v1/agents HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json', ...headers].join('\r\n') + '\r\n\r\n' + body;

interface Case {
  name: string;
  bytes: string;
  status: number;
  code: string;
}

// prettier-ignore
const CASES: Case[] = [
  { name: 'a control byte (0x01) in Idempotency-Key', bytes: post(['Idempotency-Key: ab\x01cd', 'Content-Length: 19']), status: 400, code: 'invalid_header' },
  { name: 'a NUL byte in Idempotency-Key', bytes: post(['Idempotency-Key: ab\x00cd', 'Content-Length: 19']), status: 400, code: 'invalid_header' },
  { name: 'DEL (0x7f) in x-request-id', bytes: post(['x-request-id: req\x7f1', 'Content-Length: 19']), status: 400, code: 'invalid_header' },
  { name: 'a bare CR inside x-request-id', bytes: 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nx-request-id: a\rb\r\n\r\n', status: 400, code: 'malformed_request' },
  { name: 'a control byte in a header name', bytes: 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nx-bad\x01name: 1\r\n\r\n', status: 400, code: 'invalid_header' },
  { name: 'Content-Length together with Transfer-Encoding', bytes: post(['Content-Length: 19', 'Transfer-Encoding: chunked'], '13\r\n{"name":"smuggled"}\r\n0\r\n\r\n'), status: 400, code: 'invalid_framing' },
  { name: 'two different Content-Lengths', bytes: post(['Content-Length: 19', 'Content-Length: 5']), status: 400, code: 'invalid_framing' },
  { name: 'a chunk size that is not hexadecimal', bytes: post(['Transfer-Encoding: chunked'], 'zz\r\n{"name":"smuggled"}\r\n0\r\n\r\n'), status: 400, code: 'invalid_framing' },
  { name: 'headers over 16 KiB', bytes: post([`x-filler: ${'a'.repeat(20_000)}`, 'Content-Length: 19']), status: 431, code: 'headers_too_large' },
  { name: 'a request line that is not HTTP', bytes: 'HELLO THERE\r\n\r\n', status: 400, code: 'malformed_request' },
  { name: 'an unknown HTTP version', bytes: 'GET /health HTTP/7.3\r\nHost: 127.0.0.1\r\n\r\n', status: 400, code: 'malformed_request' },
];

function asTestResponse(res: RawResponse): TestResponse {
  return { status: res.status, headers: new Headers(res.headers), body: res.body, text: res.text };
}

describe('requests Node refuses before routing get the SPEC §8 body', () => {
  it.each(CASES)('$name → $status $code', async (c) => {
    const before = await snapshotDatabase(t.pool);
    const res = await sendRaw(t.url, Buffer.from(c.bytes, 'latin1'));
    expectErrorBody(asTestResponse(res), c.status, c.code);
    expect(res.body.error.type).toBe('invalid_request_error');
    // A complete HTTP/1.1 answer: its length, and the connection closed after it.
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text, 'utf8'));
    expect(res.headers['connection']).toBe('close');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.request_id).toBe(res.headers['x-request-id']);
    expect(await snapshotDatabase(t.pool)).toEqual(before);
    // The server is unharmed.
    expect((await t.http.get('/health')).status).toBe(200);
  });

  it('logs each refusal as one line with its request id, status, code and the parser reason', async () => {
    const instance = await spawnInstance({ DATABASE_URL: await createTestDatabase(), CAP_LOG_LEVEL: 'info' });
    try {
      const res = await sendRaw(instance.url, post(['Idempotency-Key: ab\x01cd', 'Content-Length: 19']));
      expect(res.status).toBe(400);
      await new Promise((r) => setTimeout(r, 200));
      const lines = instance
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      const line = lines.find((l) => l.request_id === res.body.request_id);
      expect(line).toMatchObject({ status: 400, code: 'invalid_header', reason: 'HPE_INVALID_HEADER_TOKEN' });
      expect(line.msg).toMatch(/refused/);
    } finally {
      await instance.stop();
    }
  });
});
