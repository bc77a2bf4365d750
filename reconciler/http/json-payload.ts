import { z } from 'zod';
import { InvalidPayloadError } from './errors';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a webhook body as UTF-8 JSON and validates it with `schema`. Any failure throws an
 * {@link InvalidPayloadError} naming `input` and the field: `body` for bytes that are not UTF-8 or
 * not JSON (a truncated body), otherwise the dotted path of the first schema issue
 * (`repository.clone_url`, `events[0].target.digest`).
 */
export function parseJsonPayload<S extends z.ZodType>(schema: S, body: Buffer, input: string): z.output<S> {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch (err) {
    throw new InvalidPayloadError({ input, field: 'body', reason: 'is not valid UTF-8', cause: err });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof SyntaxError ? err.message : String(err);
    const reason = text.trim() === '' ? 'is empty (expected a JSON object)' : `is not valid JSON (${detail}; ${body.length} bytes received)`;
    throw new InvalidPayloadError({ input, field: 'body', reason, cause: err });
  }
  return validatePayload(schema, data, input);
}

/**
 * Validates already-parsed JSON with `schema`; failures throw an {@link InvalidPayloadError} whose
 * field is `basePath` followed by the path of the first issue (for checking one element of a
 * larger payload, e.g. `events[3]`).
 */
export function validatePayload<S extends z.ZodType>(schema: S, data: unknown, input: string, basePath: readonly PropertyKey[] = []): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue ? [...issue.path] : [];
  const value = scalarAt(data, path);
  throw new InvalidPayloadError({
    input,
    field: formatPath([...basePath, ...path]),
    reason: issue ? issueReason(issue) : 'does not match the payload schema',
    ...(value !== undefined ? { value } : {}),
    cause: result.error,
  });
}

/** `['events', 0, 'target']` -> `events[0].target`; the empty path is the whole body. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? 'body' : out;
}

function issueReason(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) return 'is required';
  return issue.message;
}

/** The value at `path` if it is a short scalar (shown in the error), otherwise `undefined`. */
function scalarAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = data;
  for (const seg of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  if (typeof cur === 'string') return cur.length > 200 ? `${cur.slice(0, 197)}...` : cur;
  if (typeof cur === 'number' || typeof cur === 'boolean' || cur === null) return cur;
  return undefined;
}
