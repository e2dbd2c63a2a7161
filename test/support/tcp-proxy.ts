// A TCP proxy a test controls, to cut a service off from a server (PostgreSQL) while the server
// itself stays up for everyone else. `cut()` destroys every open connection and refuses new ones
// (a lost network, or a server gone); `restore()` lets connections through again. `stall()`
// keeps every connection open and accepts new ones but forwards no byte either way (a server or
// network that hangs rather than refuses); `resume()` forwards again, what was held back first,
// as TCP would deliver it once a partition heals.
import { createConnection, createServer, Server, Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Connections proxied since start. */
  readonly accepted: number;
  cut(): void;
  restore(): void;
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}

interface Link {
  client: Socket;
  /** Opened on the first forwarding: a connection accepted during a stall reaches nothing. */
  upstream?: Socket;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const links = new Set<Link>();
  let isCut = false;
  let isStalled = false;
  let accepted = 0;

  const drop = (link: Link) => {
    link.client.destroy();
    link.upstream?.destroy();
    links.delete(link);
  };
  const forward = (link: Link) => {
    if (!link.upstream) {
      link.upstream = createConnection(target);
      link.upstream.on('error', () => drop(link)).on('close', () => drop(link));
    }
    link.client.pipe(link.upstream);
    link.upstream.pipe(link.client);
  };
  const holdBack = (link: Link) => {
    link.client.unpipe();
    link.upstream?.unpipe();
    link.client.pause();
    link.upstream?.pause();
  };

  const server: Server = createServer((client) => {
    if (isCut) {
      client.destroy();
      return;
    }
    accepted++;
    const link: Link = { client };
    links.add(link);
    client.on('error', () => drop(link)).on('close', () => drop(link));
    if (isStalled) client.pause();
    else forward(link);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const dropAll = () => {
    for (const link of [...links]) drop(link);
  };
  return {
    port,
    get accepted() {
      return accepted;
    },
    cut() {
      isCut = true;
      dropAll();
    },
    restore() {
      isCut = false;
    },
    stall() {
      isStalled = true;
      for (const link of links) holdBack(link);
    },
    resume() {
      isStalled = false;
      for (const link of links) forward(link);
    },
    close() {
      isCut = true;
      dropAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
