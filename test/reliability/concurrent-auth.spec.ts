// Every concurrent request is answered. Found by the soak: an admin request whose key lookup
// overlapped another's (at each expiry of the 1 s key cache) was sometimes never answered —
// passport set each request's callbacks on one shared strategy instance, so one request's
// outcome resolved another's (fixed in src/auth/api-auth.guard.ts). With the key cache off every
// request looks its key up, so overlaps are certain: raw sockets (no HTTP client library in the
// way), 6 keep-alive connections × 200 rounds of a streamed metered call then a GET of the budget.
import { connect, Socket } from 'node:net';
import { chatBody, Cluster, startCluster } from './support/cluster';
import { recordFigures, sleep } from './support/figures';

const CONNECTIONS = 6;
const ROUNDS = 200;
const ANSWER_WITHIN_MS = 5_000;
let c: Cluster;
beforeAll(async () => {
  c = await startCluster({ instances: 1, env: { CAP_LOG_LEVEL: 'warn', CAP_KEY_CACHE_TTL_MS: '0' } });
}, 60_000);
afterAll(() => c?.close());

/** Reads the socket into a buffer; `until` waits for a condition on what has arrived. */
function reader(sock: Socket) {
  let buf = '';
  sock.on('data', (d) => (buf += d.toString('latin1')));
  return {
    take: () => {
      const b = buf;
      buf = '';
      return b;
    },
    async until(done: (b: string) => boolean): Promise<boolean> {
      const started = Date.now();
      while (!done(buf)) {
        if (Date.now() - started > ANSWER_WITHIN_MS) return false;
        await sleep(1);
      }
      return true;
    },
  };
}

const wholeAnswer = (b: string) => {
  const head = b.indexOf('\r\n\r\n');
  const length = /content-length: (\d+)/i.exec(b);
  return head >= 0 && !!length && b.length >= head + 4 + Number(length[1]);
};
const streamEnded = (b: string) => b.includes('\r\n0\r\n\r\n');

it(`answers every request of ${CONNECTIONS} concurrent keep-alive connections × ${ROUNDS} rounds, key lookups overlapping`, async () => {
  const agent = await c.agent(100_000, 'parallel');
  c.fake.setBehavior({ usage: { input: 5, output: 10 }, latencyMs: 2, chunkDelayMs: 1 });
  const { port } = new URL(c.instances[0].url);
  const body = JSON.stringify(chatBody(agent, { stream: true }));
  const streamRequest =
    `POST /v1/chat/completions HTTP/1.1\r\nhost: spendguard\r\nx-api-key: ${c.tenantKey}\r\nx-cynsta-agent-id: ${agent}\r\n` +
    `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const getRequest = `GET /v1/agents/${agent}/budget HTTP/1.1\r\nhost: spendguard\r\nx-api-key: ${c.tenantKey}\r\n\r\n`;
  const unanswered: string[] = [];
  let answered = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, conn) => {
      const sock = connect(Number(port), '127.0.0.1');
      await new Promise((r) => sock.once('connect', r));
      const r = reader(sock);
      try {
        for (let i = 0; i < ROUNDS; i++) {
          for (const [what, request, done] of [['streamed call', streamRequest, streamEnded], ['GET budget', getRequest, wholeAnswer]] as const) {
            sock.write(request);
            if (!(await r.until(done))) {
              unanswered.push(`connection ${conn}, round ${i}: no answer to the ${what} within ${ANSWER_WITHIN_MS} ms`);
              return;
            }
            r.take();
            answered++;
          }
        }
      } finally {
        sock.destroy();
      }
    }),
  );
  recordFigures('concurrent-auth', {
    connections: CONNECTIONS,
    requests_planned: CONNECTIONS * ROUNDS * 2,
    requests_answered: answered,
    unanswered,
    elapsed_ms: Date.now() - started,
  });
  expect(unanswered).toEqual([]);
}, 120_000);
