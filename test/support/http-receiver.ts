import * as http from 'node:http';

import { freePort } from '../../dev/net';

/** One request a {@link TestReceiver} got, with its raw body. */
export interface ReceivedRequest {
  readonly method: string;
  /** Path and query as sent. */
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** `Date.now()` when the body was complete. */
  readonly at: number;
}

/** How the receiver answers request number `n` (0-based). */
export interface ReceiverAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Wait before answering (the connection stays open, nothing is sent). */
  readonly delayMs?: number;
  /** Wait for this promise before answering. */
  readonly hold?: Promise<void>;
}

/** A real HTTP server on 127.0.0.1 that records every request. */
export interface TestReceiver {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  readonly port: number;
  readonly requests: ReceivedRequest[];
  /** Requests whose body has started arriving (also those still being answered). */
  arrivals(): number;
  /** Resolves when `n` requests have been recorded. */
  waitForRequests(n: number, timeoutMs?: number): Promise<void>;
  /** Stops the server and drops open connections (also held and delayed answers). */
  close(): Promise<void>;
}

/**
 * Starts a receiver on 127.0.0.1 and a free port; `answer` decides each response. Stop it with
 * `close()` in `afterAll`.
 */
export async function startReceiver(answer: (req: ReceivedRequest, n: number) => ReceiverAnswer): Promise<TestReceiver> {
  const requests: ReceivedRequest[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const timers = new Set<NodeJS.Timeout>();
  let arrivals = 0;
  const server = http.createServer((req, res) => {
    arrivals++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received: ReceivedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), at: Date.now() };
      const n = requests.length;
      requests.push(received);
      for (const w of waiters.filter((x) => requests.length >= x.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      const a = answer(received, n);
      const send = (): void => {
        if (res.destroyed) return;
        res.writeHead(a.status, { 'Content-Type': 'application/json', ...(a.headers ?? {}) });
        res.end(a.body ?? '');
      };
      if (a.hold) void a.hold.then(send);
      else if (a.delayMs) {
        const t = setTimeout(() => {
          timers.delete(t);
          send();
        }, a.delayMs);
        timers.add(t);
      } else send();
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port }, () => resolve());
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    arrivals: () => arrivals,
    waitForRequests(n, timeoutMs = 10_000) {
      if (requests.length >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`receiver on ${port}: ${requests.length} of ${n} requests after ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
        });
      });
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
