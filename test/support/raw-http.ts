import * as net from 'node:net';

/** What {@link rawRequest} got back. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Whether the server closed the connection (rather than the client). */
  readonly closedByServer: boolean;
}

/** Options for {@link rawRequest}. */
export interface RawRequestOptions {
  readonly port: number;
  /** Request line and headers, without the final blank line, e.g. `POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 10`. */
  readonly head: string;
  /** Send the head without the blank line that ends it (a sender stuck in its headers). @default false */
  readonly unfinishedHead?: boolean;
  /** Body bytes to send after the head. */
  readonly body?: Buffer;
  /** Half-close the socket after sending (what a client that gives up mid-body does). @default false */
  readonly endAfterBody?: boolean;
  /** Give up after this long. @default 10000 */
  readonly timeoutMs?: number;
}

/**
 * Sends an exact byte sequence over TCP to 127.0.0.1 and parses the (single) HTTP response, for
 * cases `fetch` cannot produce: bodies shorter than their Content-Length, pauses mid-body.
 */
export function rawRequest(opts: RawRequestOptions): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port: opts.port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let settled = false;
    const timer = setTimeout(() => finish(new Error(`no complete response within ${opts.timeoutMs ?? 10_000} ms`)), opts.timeoutMs ?? 10_000);
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('utf8');
      const parsed = parse(text);
      if (parsed) resolve({ ...parsed, closedByServer: err === undefined });
      else reject(err ?? new Error(`no HTTP response received (got ${JSON.stringify(text.slice(0, 200))})`));
    };
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      const parsed = parse(Buffer.concat(chunks).toString('utf8'));
      if (parsed && parsed.complete) {
        // Wait briefly to see whether the server closes the connection itself.
        setTimeout(() => finish(socket.readableEnded ? undefined : new Error('still open')), 100);
      }
    });
    socket.on('end', () => finish());
    socket.on('error', (e) => finish(e));
    socket.on('connect', () => {
      socket.write(opts.unfinishedHead ? `${opts.head}\r\n` : `${opts.head}\r\n\r\n`);
      if (opts.body) socket.write(opts.body);
      if (opts.endAfterBody) socket.end();
    });
  });
}

function parse(text: string): (Omit<RawResponse, 'closedByServer'> & { complete: boolean }) | undefined {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
  if (!m) return undefined;
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const c = l.indexOf(':');
    if (c > 0) headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
  }
  const body = text.slice(end + 4);
  const length = headers['content-length'] !== undefined ? Number(headers['content-length']) : undefined;
  return { status: Number(m[1]), headers, body, complete: length !== undefined && Buffer.byteLength(body) >= length };
}
