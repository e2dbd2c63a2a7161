// Closing the HTTP server: stop accepting, let requests in flight finish, and after `graceMs`
// destroy whatever connection is still open (a client that never hangs up, a socket a proxy left
// half-closed), so that shutdown always ends.
import type { Socket } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

const sockets = new WeakMap<object, Set<Socket>>();

/** Call once, before listening: remembers the server's open connections. */
export function trackConnections(app: NestFastifyApplication): void {
  const server = app.getHttpServer();
  const open = new Set<Socket>();
  sockets.set(app, open);
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
}

export async function closeGracefully(app: NestFastifyApplication, graceMs: number): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  const timer = setTimeout(() => {
    for (const socket of sockets.get(app) ?? []) socket.destroy();
  }, graceMs);
  try {
    await fastify.close();
  } finally {
    clearTimeout(timer);
  }
  await app.close();
}
