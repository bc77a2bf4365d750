import { FluxOpsError } from '../../errors';

/**
 * Why an HTTP request (a webhook delivery, a scrape) was refused. The subclass fixes the HTTP
 * status; `input` names the request (`POST /hooks/git/github`, or `github push webhook` when a
 * receiver is used without the server) and `field` the part of it that is wrong (a header, `body`,
 * or a dotted payload path such as `repository.clone_url`).
 *
 * Messages and fields never contain a secret or a presented signature/token, so the error can be
 * returned as the response body and logged as it is.
 */
export abstract class HttpRequestError extends FluxOpsError {
  /** The HTTP status this error is answered with. */
  abstract readonly status: number;
  /** Which request: `POST /hooks/git/github`, or the receiver's own name outside the server. */
  readonly input: string;
  /** The header, `body`, or dotted payload path that is wrong. */
  readonly field: string;
  /** The problem, without the input/field prefix. */
  readonly reason: string;

  protected constructor(code: string, init: { input: string; field: string; reason: string; cause?: unknown }) {
    super(code, `${init.input}: ${init.field}: ${init.reason}`, { cause: init.cause });
    this.input = init.input;
    this.field = init.field;
    this.reason = init.reason;
  }
}

/** How a credential failed: absent, not in the expected format, or not matching any configured secret. */
export type CredentialProblem = 'missing' | 'malformed' | 'mismatch';

/** 401: the signature or token is missing, malformed or wrong. Nothing is triggered. */
export class UnauthorizedRequestError extends HttpRequestError {
  override readonly name = 'UnauthorizedRequestError';
  readonly status = 401;
  /** What was wrong with the credential (never the credential itself). */
  readonly problem: CredentialProblem;

  constructor(init: { input: string; field: string; problem: CredentialProblem; reason: string }) {
    super('request-unauthorized', init);
    this.problem = init.problem;
  }
}

/** 415: the request's media type is not one the route accepts (the body was not read). */
export class UnsupportedContentTypeError extends HttpRequestError {
  override readonly name = 'UnsupportedContentTypeError';
  readonly status = 415;
  /** The media type received (lowercase, without parameters), or `undefined` if there was none. */
  readonly contentType: string | undefined;
  /** The media types the route accepts. */
  readonly expected: readonly string[];

  constructor(init: { input: string; contentType: string | undefined; expected: readonly string[]; hint?: string }) {
    const got = init.contentType === undefined ? 'is missing' : `${JSON.stringify(init.contentType)} is not accepted`;
    super('unsupported-content-type', {
      input: init.input,
      field: 'Content-Type',
      reason: `${got} (expected ${init.expected.join(' or ')})${init.hint ? `; ${init.hint}` : ''}`,
    });
    this.contentType = init.contentType;
    this.expected = init.expected;
  }
}

/** 413: the body is larger than the route's limit. The rest of it was not read. */
export class PayloadTooLargeError extends HttpRequestError {
  override readonly name = 'PayloadTooLargeError';
  readonly status = 413;
  readonly limitBytes: number;
  /** The declared `Content-Length`, or how many bytes had arrived when reading stopped. */
  readonly receivedBytes: number;

  constructor(init: { input: string; limitBytes: number; receivedBytes: number; declared: boolean }) {
    super('payload-too-large', {
      input: init.input,
      field: 'body',
      reason: `${init.declared ? 'Content-Length is' : 'more than'} ${init.receivedBytes} bytes, over the limit of ${init.limitBytes} bytes`,
    });
    this.limitBytes = init.limitBytes;
    this.receivedBytes = init.receivedBytes;
  }
}

/** 400: the body is not valid JSON, or does not match the payload schema. `field` is the dotted path, `body` for syntax errors. */
export class InvalidPayloadError extends HttpRequestError {
  override readonly name = 'InvalidPayloadError';
  readonly status = 400;
  /** The offending value when it is a scalar worth showing (never for the whole body). */
  readonly value?: unknown;

  constructor(init: { input: string; field: string; reason: string; value?: unknown; cause?: unknown }) {
    super('invalid-payload', init);
    if (init.value !== undefined) this.value = init.value;
  }
}

/** 400: a required header is missing or malformed (other than credentials), or the body ended early. */
export class InvalidRequestError extends HttpRequestError {
  override readonly name = 'InvalidRequestError';
  readonly status = 400;

  constructor(init: { input: string; field: string; reason: string; cause?: unknown }) {
    super('invalid-request', init);
  }
}

/** 408: the body did not arrive within the time limit. */
export class RequestTimeoutError extends HttpRequestError {
  override readonly name = 'RequestTimeoutError';
  readonly status = 408;
  readonly timeoutMs: number;

  constructor(init: { input: string; timeoutMs: number }) {
    super('request-timeout', { input: init.input, field: 'body', reason: `not received within ${init.timeoutMs} ms` });
    this.timeoutMs = init.timeoutMs;
  }
}

/**
 * A receiver or server was configured wrongly (an empty secret, an unparsable repository URL, two
 * routes on one path). Raised at construction, before anything listens.
 */
export class WebhookConfigError extends FluxOpsError {
  override readonly name = 'WebhookConfigError';
  /** Which configuration: `github receiver`, `http server`, ... */
  readonly input: string;
  /** The option that is wrong, e.g. `secret` or `repositoryUrl`. */
  readonly field: string;
  /** The rejected value; `undefined` for secrets, which are never echoed. */
  readonly value?: unknown;
  readonly reason: string;

  constructor(init: { input: string; field: string; reason: string; value?: unknown }) {
    super('webhook-config-invalid', `${init.input}: invalid ${init.field}${init.value === undefined ? '' : ` ${JSON.stringify(init.value)}`}: ${init.reason}`);
    this.input = init.input;
    this.field = init.field;
    if (init.value !== undefined) this.value = init.value;
    this.reason = init.reason;
  }
}
