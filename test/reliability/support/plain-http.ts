// A plain node:http client with its own keep-alive agent, for the soak: each answer is read to
// its end, and a protocol error (bytes after an answer, a bad frame) surfaces as an error rather
// than as a request that never ends.
import { Agent, request } from 'node:http';

export interface PlainResponse {
  status: number;
  text: string;
}

export function plainClient(baseUrl: string, headers: Record<string, string>, maxSockets = 16) {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const send = (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) =>
    new Promise<PlainResponse>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        `${baseUrl}${path}`,
        { method, agent, headers: { ...headers, ...extra, ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  return {
    post: (path: string, body: unknown, extra?: Record<string, string>) => send('POST', path, body, extra),
    get: (path: string, extra?: Record<string, string>) => send('GET', path, undefined, extra),
    close: () => agent.destroy(),
  };
}
