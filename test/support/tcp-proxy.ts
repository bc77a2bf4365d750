import * as net from 'node:net';

/** A TCP forwarder on 127.0.0.1 that a test can take down and bring back on the same port. */
export interface TcpProxy {
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Stops listening and cuts every open connection: clients get "connection refused". */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a TCP forwarder from a free 127.0.0.1 port to `127.0.0.1:<targetPort>`, for fault tests
 * of servers that cannot be stopped and started on the same port themselves (`git daemon`):
 * `down()` makes the server unreachable as a network outage would, `up()` ends the outage.
 */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((client) => {
    connections++;
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  let isDown = false;
  let stopped = false;
  const down = async () => {
    if (isDown) return;
    isDown = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  return {
    port,
    get connections() {
      return connections;
    },
    down,
    async up() {
      if (!isDown || stopped) return;
      await listen(port);
      isDown = false;
    },
    async stop() {
      stopped = true;
      await down();
    },
  };
}
