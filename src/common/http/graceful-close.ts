// Closing the HTTP server: stop accepting, let requests in flight finish, and after `graceMs`
// destroy whatever connection is still open (a client that never hangs up, a socket a proxy left
// half-closed), so that shutdown always ends. It reports how many requests were still being
// served when the grace ran out: those were cut off, and the process says so in its exit code.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

interface Tracked {
  sockets: Set<Socket>;
  /** Responses not yet finished or abandoned: requests in flight. */
  inFlight: Set<ServerResponse>;
}

const tracked = new WeakMap<object, Tracked>();

/** Call once, before listening: remembers the server's open connections and requests in flight. */
export function trackConnections(app: NestFastifyApplication): void {
  const server = app.getHttpServer();
  const state: Tracked = { sockets: new Set(), inFlight: new Set() };
  tracked.set(app, state);
  server.on('connection', (socket: Socket) => {
    state.sockets.add(socket);
    socket.once('close', () => state.sockets.delete(socket));
  });
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    state.inFlight.add(res);
    // 'close' comes after the answer was sent, or when its connection went away first.
    res.once('close', () => state.inFlight.delete(res));
  });
}

export interface CloseResult {
  /** Requests still in flight when the grace ran out, whose connections were destroyed. */
  cutOff: number;
}

/**
 * `onCutOff` is told, when the grace runs out, how many requests are being cut off. `drain` runs
 * once the server is closed and before the modules are (the database pool among them): work a
 * cut-off request still has to do — a metered call settling or releasing its hold — needs them.
 */
export async function closeGracefully(
  app: NestFastifyApplication,
  graceMs: number,
  onCutOff?: (count: number) => void,
  drain?: () => Promise<void>,
): Promise<CloseResult> {
  const fastify = app.getHttpAdapter().getInstance();
  const state = tracked.get(app);
  let cutOff = 0;
  const timer = setTimeout(() => {
    cutOff = state?.inFlight.size ?? 0;
    if (cutOff > 0) onCutOff?.(cutOff);
    for (const socket of state?.sockets ?? []) socket.destroy();
  }, graceMs);
  try {
    await fastify.close();
  } finally {
    clearTimeout(timer);
  }
  await drain?.();
  await app.close();
  return { cutOff };
}
