import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';

import { KubeConfig } from '@kubernetes/client-node';

import { FluxOpsError } from '../../errors';
import { ClusterUnreachableError } from '../../stacks/errors';
import { Semaphore } from './semaphore';

import { FIELD_MANAGER } from '../../stacks/applied-object';

export { FIELD_MANAGER };

/** How FluxOps' requests show up in the API server's audit log. */
export const USER_AGENT = 'fluxops';

/** A Kubernetes object as raw JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** What identifies an object. */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

/** The API server answered with an error status (not a network fault). */
export class KubeApiError extends FluxOpsError {
  override readonly name = 'KubeApiError';
  constructor(
    readonly status: number,
    /** Kubernetes `Status.reason` (`NotFound`, `Invalid`, `Conflict`, `Forbidden`, ...). */
    readonly reason: string,
    readonly detail: string,
    readonly method: string,
    readonly path: string,
    /** `Kind/namespace/name` when the request was about one object. */
    readonly object?: string,
    /** Field errors of an `Invalid` answer: field path and message. */
    readonly causes: ReadonlyArray<{ readonly field?: string; readonly message: string }> = [],
  ) {
    super(`kube-api-${status}`, `${object ?? `${method} ${path}`}: ${detail} (HTTP ${status} ${reason})`);
  }
}

/** Options of {@link KubeClient.connect}. */
export interface KubeClientOptions {
  /** Kubeconfig file path. @default $KUBECONFIG, else ~/.kube/config */
  readonly kubeconfig?: string;
  /** Kubeconfig contents (instead of a path). */
  readonly kubeconfigContents?: string;
  /** Context. @default the current context */
  readonly context?: string;
  /** Requests in flight at once. @default 16 */
  readonly concurrency?: number;
  /** Per-request timeout. @default 30000 */
  readonly timeoutMs?: number;
  /** Retries of idempotent requests on network errors, 429 and 5xx. @default 4 */
  readonly retries?: number;
  /** Observer of every request (benchmarks count writes; tests count calls). */
  readonly onRequest?: (e: { method: string; path: string; status: number; ms: number }) => void;
}

interface Resource {
  readonly plural: string;
  readonly namespaced: boolean;
}

/**
 * The one place FluxOps talks to a Kubernetes API server: raw JSON over keep-alive HTTPS with the
 * credentials of a kubeconfig (client certificates, tokens, exec plugins — loaded by
 * `@kubernetes/client-node`), bounded concurrency, timeouts, and retries with backoff and jitter
 * for idempotent requests. Objects stay exactly as the server sent them (no model classes), which
 * is what a diff needs.
 */
export class KubeClient {
  /** Loads a kubeconfig and prepares the connection (no request is made). */
  static async connect(opts: KubeClientOptions = {}): Promise<KubeClient> {
    const kc = new KubeConfig();
    if (opts.kubeconfigContents !== undefined) kc.loadFromString(opts.kubeconfigContents);
    else if (opts.kubeconfig !== undefined) {
      if (!fs.existsSync(opts.kubeconfig)) throw new ClusterUnreachableError(opts.kubeconfig, 'the kubeconfig file does not exist');
      kc.loadFromFile(opts.kubeconfig);
    } else kc.loadFromDefault();
    if (opts.context) kc.setCurrentContext(opts.context);
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new ClusterUnreachableError(opts.kubeconfig ?? 'kubeconfig', `no cluster for context ${opts.context ?? kc.getCurrentContext()}`);
    return new KubeClient(kc, cluster.server, opts);
  }

  private readonly agent: http.Agent;
  private readonly limit: Semaphore;
  private readonly resources = new Map<string, Promise<Map<string, Resource>>>();

  private constructor(
    private readonly kc: KubeConfig,
    /** API server URL. */
    readonly server: string,
    private readonly opts: KubeClientOptions,
  ) {
    const concurrency = opts.concurrency ?? 16;
    const secure = server.startsWith('https:');
    this.agent = secure ? new https.Agent({ keepAlive: true, maxSockets: concurrency }) : new http.Agent({ keepAlive: true, maxSockets: concurrency });
    this.limit = new Semaphore(concurrency);
  }

  /** Closes idle connections. */
  close(): void {
    this.agent.destroy();
  }

  /** The kind's resource (plural name, scope), from API discovery (cached per group/version). */
  async resourceFor(apiVersion: string, kind: string): Promise<Resource> {
    let group = this.resources.get(apiVersion);
    if (!group) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      group = this.request<{ resources: Array<{ name: string; kind: string; namespaced: boolean }> }>('GET', path).then((list) => {
        const m = new Map<string, Resource>();
        for (const r of list.resources) if (!r.name.includes('/')) m.set(r.kind, { plural: r.name, namespaced: r.namespaced });
        return m;
      });
      this.resources.set(apiVersion, group);
      group.catch(() => this.resources.delete(apiVersion));
    }
    const found = (await group).get(kind);
    if (!found) throw new KubeApiError(404, 'NotFound', `the server has no kind ${kind} in ${apiVersion} (is its CRD installed?)`, 'GET', apiVersion, kind);
    return found;
  }

  /** Forgets discovery results (after CRDs were installed). */
  resetDiscovery(): void {
    this.resources.clear();
  }

  /** URL path of an object (or of its collection when `name` is omitted). */
  async pathOf(ref: { apiVersion: string; kind: string; namespace?: string; name?: string }): Promise<string> {
    const r = await this.resourceFor(ref.apiVersion, ref.kind);
    const base = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
    const ns = r.namespaced && ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
    return `${base}${ns}/${r.plural}${ref.name !== undefined ? `/${encodeURIComponent(ref.name)}` : ''}`;
  }

  /** The live object, or undefined when it does not exist. */
  async get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    try {
      return await this.request<T>('GET', await this.pathOf(ref), { object: refId(ref) });
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Every object of a kind (in one namespace, or all), following `continue` tokens. */
  async list<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, opts: { namespace?: string; labelSelector?: string } = {}): Promise<T[]> {
    const path = await this.pathOf({ apiVersion, kind, ...(opts.namespace ? { namespace: opts.namespace } : {}) });
    const items: T[] = [];
    let cont: string | undefined;
    do {
      const query: Record<string, string> = { limit: '500' };
      if (opts.labelSelector) query.labelSelector = opts.labelSelector;
      if (cont) query.continue = cont;
      const page = await this.request<{ items: T[]; metadata?: { continue?: string } }>('GET', path, { query });
      for (const item of page.items) items.push({ ...item, apiVersion, kind });
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return items;
  }

  /**
   * Server-side apply of `obj` with FluxOps' field manager (force: FluxOps owns the fields it
   * declares, as Flux's kustomize-controller does). With `dryRun`, nothing is persisted and the
   * answer is the object as it would be.
   */
  async apply<T extends KubeObject = KubeObject>(obj: KubeObject, opts: { dryRun?: boolean; force?: boolean; fieldManager?: string } = {}): Promise<T> {
    const query: Record<string, string> = { fieldManager: opts.fieldManager ?? FIELD_MANAGER, force: String(opts.force ?? true) };
    if (opts.dryRun) query.dryRun = 'All';
    const ref = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}) };
    return this.request<T>('PATCH', await this.pathOf(ref), { query, body: JSON.stringify(obj), contentType: 'application/apply-patch+yaml', object: refId(ref) });
  }

  /** Deletes an object; `not-found` when it was already gone. */
  async delete(ref: ObjectRef, opts: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan'; dryRun?: boolean } = {}): Promise<'deleted' | 'not-found'> {
    const query: Record<string, string> = {};
    if (opts.dryRun) query.dryRun = 'All';
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: opts.propagationPolicy ?? 'Background' });
    try {
      await this.request('DELETE', await this.pathOf(ref), { query, body, contentType: 'application/json', object: refId(ref) });
      return 'deleted';
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return 'not-found';
      throw err;
    }
  }

  /** Creates an object (POST); returns the created object. */
  async create<T extends KubeObject = KubeObject>(obj: KubeObject): Promise<T> {
    const ref = { apiVersion: obj.apiVersion, kind: obj.kind, ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}) };
    return this.request<T>('POST', await this.pathOf(ref), { body: JSON.stringify(obj), contentType: 'application/json', object: refId({ ...ref, name: obj.metadata.name }) });
  }

  /** Replaces an object (PUT, optimistic concurrency through `metadata.resourceVersion`). */
  async replace<T extends KubeObject = KubeObject>(obj: KubeObject): Promise<T> {
    const ref = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}) };
    return this.request<T>('PUT', await this.pathOf(ref), { body: JSON.stringify(obj), contentType: 'application/json', object: refId(ref) });
  }

  /**
   * One request, retried with exponential backoff and jitter on network errors, 429 and 5xx
   * (every FluxOps request is idempotent: GET, server-side apply, DELETE, PUT with a
   * resourceVersion; a POST is retried only on a network error before it was sent).
   */
  async request<T>(method: string, path: string, o: { query?: Record<string, string>; body?: string; contentType?: string; object?: string } = {}): Promise<T> {
    const retries = this.opts.retries ?? 4;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.limit.run(() => this.once<T>(method, path, o));
      } catch (err) {
        const retryable = err instanceof KubeApiError ? err.status === 429 || (err.status >= 500 && method !== 'POST') : err instanceof ClusterUnreachableError;
        if (!retryable || attempt >= retries) throw err;
        const base = Math.min(8000, 200 * 2 ** attempt);
        await new Promise((r) => setTimeout(r, base / 2 + Math.random() * (base / 2)));
      }
    }
  }

  private async once<T>(method: string, path: string, o: { query?: Record<string, string>; body?: string; contentType?: string; object?: string }): Promise<T> {
    const url = new URL(this.server);
    const qs = o.query ? `?${new URLSearchParams(o.query).toString()}` : '';
    const options: https.RequestOptions = {
      method,
      hostname: url.hostname,
      port: url.port,
      path: `${url.pathname.replace(/\/$/, '')}${path}${qs}`,
      headers: { Accept: 'application/json', 'User-Agent': USER_AGENT, ...(o.body !== undefined ? { 'Content-Type': o.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(o.body) } : {}) },
      timeout: this.opts.timeoutMs ?? 30_000,
    };
    await this.kc.applyToHTTPSOptions(options);
    options.agent = this.agent;
    const started = Date.now();
    const transport = url.protocol === 'https:' ? https : http;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = transport.request(options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`timed out after ${options.timeout} ms`)));
      req.on('error', (err) => reject(new ClusterUnreachableError(this.server, (err as Error).message, { cause: err })));
      if (o.body !== undefined) req.write(o.body);
      req.end();
    });
    this.opts.onRequest?.({ method: o.query?.dryRun ? `${method}(dry-run)` : method, path, status, ms: Date.now() - started });
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (status >= 200 && status < 300) return parsed as T;
    const st = (parsed ?? {}) as { reason?: string; message?: string; details?: { causes?: Array<{ field?: string; message?: string }> } };
    throw new KubeApiError(
      status,
      st.reason ?? http.STATUS_CODES[status] ?? 'Error',
      st.message ?? text.slice(0, 500),
      method,
      path,
      o.object,
      (st.details?.causes ?? []).map((c) => ({ ...(c.field ? { field: c.field } : {}), message: c.message ?? '' })),
    );
  }
}

/** `Kind/namespace/name` of a reference. */
export function refId(ref: { kind: string; namespace?: string; name: string }): string {
  return ref.namespace ? `${ref.kind}/${ref.namespace}/${ref.name}` : `${ref.kind}/${ref.name}`;
}
