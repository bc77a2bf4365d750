import type { HttpRoute } from '../http';

/** Anything that renders Prometheus text: a `ReconcilerMetrics` or a prom-client `Registry`. */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

/** `GET /metrics`: the Prometheus text exposition of `source`. */
export function metricsRoute(source: MetricsSource, path = '/metrics'): HttpRoute {
  return {
    method: 'GET',
    path,
    async handle() {
      return { status: 200, contentType: source.contentType, body: await source.metrics() };
    },
  };
}
