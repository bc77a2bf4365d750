import { jsonResponse, type HttpRoute } from '../http';

/** What a readiness callback answers: a boolean, or a boolean with the reason for not being ready. */
export type Readiness = boolean | { readonly ready: boolean; readonly reason?: string };

/** Options for {@link healthRoutes}. */
export interface HealthRoutesOptions {
  /**
   * Readiness for `/readyz`, e.g. "the first sync finished". Called on every probe; a throw counts
   * as not ready.
   */
  readonly ready: () => Readiness | Promise<Readiness>;
  /** The JSON document served at `/status` (conditions, last run, trigger state, ...). */
  readonly status: () => unknown;
}

/**
 * `GET /healthz` (200 while the process serves requests), `GET /readyz` (200 ready / 503 not
 * ready, with the reason) and `GET /status` (the status callback's JSON).
 */
export function healthRoutes(opts: HealthRoutesOptions): HttpRoute[] {
  return [
    { method: 'GET', path: '/healthz', handle: () => jsonResponse(200, { status: 'ok' }) },
    {
      method: 'GET',
      path: '/readyz',
      async handle() {
        let readiness: Readiness;
        try {
          readiness = await opts.ready();
        } catch (err) {
          return jsonResponse(503, { status: 'not-ready', reason: `readiness check failed: ${err instanceof Error ? err.name : typeof err}` });
        }
        const ready = typeof readiness === 'boolean' ? readiness : readiness.ready;
        const reason = typeof readiness === 'boolean' ? undefined : readiness.reason;
        return ready ? jsonResponse(200, { status: 'ready' }) : jsonResponse(503, { status: 'not-ready', ...(reason ? { reason } : {}) });
      },
    },
    { method: 'GET', path: '/status', async handle() { return jsonResponse(200, await opts.status()); } },
  ];
}
