/**
 * The reconciler's HTTP surface and metrics: `startHttpServer`, the health/readiness/status and
 * metrics routes, and the Prometheus registry with typed recording helpers. Webhook routes come
 * from `source/webhook` and `images/notifications`.
 */
export * from './http-server';
export * from './health-routes';
export * from './metrics-route';
export * from './metrics';
