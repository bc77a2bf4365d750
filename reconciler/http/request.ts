import type { HttpRequestError } from './errors';

/**
 * The request/response contract between {@link HttpRoute}s and the server that mounts them
 * (`startHttpServer` in `reconciler/status`). Receivers only see a fully read, size-checked body
 * and never touch sockets, so they can be unit-tested as pure functions.
 */

/** Header map as Node delivers it (lowercase names); receivers also accept any-case names. */
export type HeaderMap = Readonly<Record<string, string | readonly string[] | undefined>>;

/** A webhook delivery as a receiver sees it: headers, the raw body bytes, the query string. */
export interface WebhookRequest {
  readonly headers: HeaderMap;
  /** The raw body bytes; signatures are computed over exactly these. */
  readonly body: Buffer;
  /** @default empty */
  readonly query?: URLSearchParams;
  /** Names the request in errors, e.g. `POST /hooks/git/github`. @default `<provider> webhook` */
  readonly input?: string;
}

/** A request as the server hands it to a route: read completely, within the size limit. */
export interface HttpRequest extends WebhookRequest {
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** `<METHOD> <path>`, used to name the request in errors. */
  readonly input: string;
}

/** What a route answers. A `string` body is sent as UTF-8. */
export interface HttpResponse {
  readonly status: number;
  /** @default 'application/json; charset=utf-8' when there is a body */
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  /** The error code of a refusal, for the access log (set by {@link errorResponse}). */
  readonly errorCode?: string;
}

/** HTTP methods a route can serve (`HEAD` is served by `GET` routes). */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/** One endpoint of the server: an exact method and path, its body rules and its handler. */
export interface HttpRoute {
  readonly method: HttpMethod;
  /** Exact path, e.g. `/hooks/git/github` (no patterns: every route is listed explicitly). */
  readonly path: string;
  /**
   * Media types (lowercase, without parameters) the body may have; anything else is answered 415
   * before the body is read. Leave unset for routes without a body.
   */
  readonly contentTypes?: readonly string[];
  /** Extra advice for the 415 message, e.g. how to configure the sender. */
  readonly contentTypeHint?: string;
  /** Body size limit for this route. @default the server's `maxBodyBytes` */
  readonly maxBodyBytes?: number;
  /** Answers a request whose body was read completely and passed the checks above. */
  handle(req: HttpRequest): HttpResponse | Promise<HttpResponse>;
  /** Told about requests the server refused before `handle` (413, 415, 408, incomplete body), e.g. for metrics. */
  onRefused?(error: HttpRequestError): void;
}

/** A JSON response (`application/json`, UTF-8, newline-terminated). */
export function jsonResponse(status: number, value: unknown, headers?: Readonly<Record<string, string>>): HttpResponse {
  return { status, contentType: 'application/json; charset=utf-8', body: `${JSON.stringify(value)}\n`, ...(headers ? { headers } : {}) };
}

/** The JSON error body every refusal uses: `{ "error": { name, code, message, status, input, field, ... } }`. */
export function errorResponse(error: HttpRequestError): HttpResponse {
  return { ...jsonResponse(error.status, { error: error.toJSON() }), errorCode: error.code };
}

/** A header's value, looked up case-insensitively; repeated headers are joined with `, ` as Node does. */
export function headerValue(headers: HeaderMap, name: string): string | undefined {
  const lower = name.toLowerCase();
  let value = headers[lower];
  if (value === undefined) {
    for (const [k, v] of Object.entries(headers)) {
      if (k.toLowerCase() === lower) {
        value = v;
        break;
      }
    }
  }
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(', ');
}

/** The media type of a `Content-Type` value: lowercase, parameters (`; charset=...`) dropped; `undefined` if empty. */
export function mediaType(contentType: string | undefined): string | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type ? type : undefined;
}
