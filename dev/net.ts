import * as net from 'node:net';

/**
 * Returns a TCP port on 127.0.0.1 that was free a moment ago. Servers started by FluxOps
 * (cluster, registry, git) bind only loopback and only ports handed out here.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('freePort: no address'));
        return;
      }
      srv.close(() => resolve(addr.port));
    });
  });
}

/** Options for {@link waitFor}. */
export interface WaitOptions {
  /** What is being waited for, used in the timeout error. */
  readonly what: string;
  /** @default 30000 */
  readonly timeoutMs?: number;
  /** @default 100 */
  readonly intervalMs?: number;
  /** Called before each attempt; throwing aborts the wait (for example: the server process died). */
  readonly abortIf?: () => void;
}

/** Error thrown when {@link waitFor} runs out of time; `cause` is the last failure seen. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Polls `probe` until it returns a value other than `undefined`/`false` or throws no more.
 * Returns that value.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, opts: WaitOptions): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    opts.abortIf?.();
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const detail = last instanceof Error ? `: ${last.message}` : '';
      throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${opts.what}${detail}`, { cause: last });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** True if something accepts TCP connections on 127.0.0.1:`port`. */
export function isPortOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
