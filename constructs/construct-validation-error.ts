import { FluxOpsError } from '../errors';

/**
 * Raised when a construct is given a value that its types could not rule out: a bad semver
 * range, a regex Flux cannot run, a port out of range, a name that is not DNS-1123, ...
 *
 * The message always names the construct path, the field and the offending value, so a
 * developer can find the line in the fleet definition without a stack trace.
 */
export class ConstructValidationError extends FluxOpsError {
  override readonly name = 'ConstructValidationError';
  /** Construct path, e.g. `edge-fleet/sensor-gateway`. */
  readonly path: string;
  /** Dotted prop path inside the construct's props, e.g. `containers[0].ports[1].port`. */
  readonly field: string;
  /** The rejected value, as given. */
  readonly value: unknown;
  /** Why the value was rejected, without the path/field/value prefix. */
  readonly reason: string;

  constructor(init: { path: string; field: string; value: unknown; reason: string; cause?: unknown }) {
    super('invalid-construct-props', `${init.path || '<root>'}: invalid ${init.field} ${formatValue(init.value)}: ${init.reason}`, { cause: init.cause });
    this.path = init.path;
    this.field = init.field;
    this.value = init.value;
    this.reason = init.reason;
  }
}

/** Renders a value for an error message: strings quoted, objects as compact JSON. */
export function formatValue(value: unknown): string {
  if (value === undefined) return '(undefined)';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  try {
    const json = JSON.stringify(value, (_k, v: unknown) => (isConstructLike(v) ? `<${v.node.path}>` : v));
    return json.length > 200 ? `${json.slice(0, 197)}...` : json;
  } catch {
    return String(value);
  }
}

function isConstructLike(v: unknown): v is { node: { path: string } } {
  return typeof v === 'object' && v !== null && 'node' in v && typeof (v as { node: unknown }).node === 'object';
}
