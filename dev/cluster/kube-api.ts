import * as https from 'node:https';

/** How to reach an API server: URL, CA and bearer token. */
export interface KubeEndpoint {
  /** e.g. `https://127.0.0.1:6443` */
  readonly server: string;
  /** PEM CA bundle that signed the serving certificate. */
  readonly ca: string;
  readonly token: string;
}

/** A request to the API server failed with an HTTP status. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(readonly method: string, readonly path: string, readonly status: number, readonly body: string) {
    super(`${method} ${path}: HTTP ${status}: ${body.slice(0, 500)}`);
  }
}

/**
 * The smallest client the local cluster needs to bring itself up (readiness, nodes). Product code
 * talks to clusters through Pulumi; tests read the cluster with the built `kubectl`.
 */
export class KubeApi {
  constructor(private readonly endpoint: KubeEndpoint) {}

  /** GET returning parsed JSON (or text for non-JSON endpoints such as /readyz). */
  get<T = unknown>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** POST a JSON body. */
  post<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  /** PATCH with a merge patch. */
  patchMerge<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body, 'application/merge-patch+json');
  }

  private request<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const url = new URL(path, this.endpoint.server);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = https.request(
        url,
        {
          method,
          ca: this.endpoint.ca,
          headers: {
            authorization: `Bearer ${this.endpoint.token}`,
            accept: 'application/json',
            ...(payload ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}),
          },
          timeout: 10_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) return reject(new KubeApiError(method, path, status, text));
            const isJson = (res.headers['content-type'] ?? '').includes('json');
            resolve((isJson ? JSON.parse(text) : text) as T);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }
}
