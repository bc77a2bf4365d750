/** The JSON key of a Flux image-policy setter marker. */
export const IMAGE_POLICY_SHORTHAND = '$imagepolicy';

/**
 * Flux reads only files that contain this token (with the quotes); others are never parsed,
 * which keeps Helm templates and other non-YAML files out of the way. FluxOps does the same.
 */
export const SETTER_SCREENING_TOKEN = `"${IMAGE_POLICY_SHORTHAND}"`;

/**
 * Whether Flux's Setters strategy reads a file at all: `*.yaml`, `*.yml` and files named
 * `Kustomization`. Callers walking a checkout pass only these files to `updateSetters`.
 */
export function isSetterCandidate(path: string): boolean {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base === 'Kustomization' || /\.ya?ml$/.test(base);
}

/** What a setter writes: the whole reference (`name:tag[@digest]`), or one part of it. */
export type SetterField = 'image' | 'tag' | 'name' | 'digest';

/** A setter name split into the policy (`<namespace>:<policy>`) and the field it sets. */
export interface SetterName {
  /** `<namespace>:<policy>`, the key of the image map passed to `updateSetters`. */
  readonly policy: string;
  /** What the marked value holds. */
  readonly field: SetterField;
}

/** The result of reading one comment the way Flux does. */
export type SetterComment =
  | { readonly kind: 'marker'; readonly setter: string }
  /** Mentions `$imagepolicy` but Flux would not read it as a marker (not JSON, not a string map, empty name). */
  | { readonly kind: 'malformed'; readonly reason: string }
  /** Any other comment. */
  | { readonly kind: 'other' };

/**
 * Reads a comment as Flux's setters do (kyaml `fieldmeta`): strip the leading `#` characters,
 * then the rest must be a JSON object of strings whose `$imagepolicy` names the setter, e.g.
 * `# {"$imagepolicy": "flux-system:gateway:tag"}`. Anything after the JSON makes it plain text.
 */
export function readSetterComment(comment: string): SetterComment {
  const body = comment.replace(/^#+/, '');
  const mentions = body.includes(IMAGE_POLICY_SHORTHAND);
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return mentions ? { kind: 'malformed', reason: 'is not valid JSON after the "#" (nothing may follow the closing brace)' } : { kind: 'other' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return mentions ? { kind: 'malformed', reason: 'must be a JSON object like {"$imagepolicy": "<namespace>:<policy>"}' } : { kind: 'other' };
  }
  // Go decodes into map[string]string: any value other than a string or null fails the whole comment.
  const bad = Object.entries(data).find(([, v]) => typeof v !== 'string' && v !== null);
  const name = (data as Record<string, unknown>)[IMAGE_POLICY_SHORTHAND];
  if (bad) return mentions ? { kind: 'malformed', reason: `value of ${JSON.stringify(bad[0])} must be a string` } : { kind: 'other' };
  if (typeof name !== 'string' || name === '') {
    return mentions ? { kind: 'malformed', reason: `"${IMAGE_POLICY_SHORTHAND}" must name a policy as "<namespace>:<policy>"` } : { kind: 'other' };
  }
  return { kind: 'marker', setter: name };
}

const FIELDS: readonly SetterField[] = ['tag', 'name', 'digest'];

/**
 * Splits a setter name: `ns:policy` sets the whole image reference, `ns:policy:tag`,
 * `ns:policy:name` and `ns:policy:digest` one part. Other shapes are not setters Flux defines.
 */
export function parseSetterName(setter: string): SetterName | undefined {
  const parts = setter.split(':');
  if (parts.some((p) => p === '')) return undefined;
  if (parts.length === 2) return { policy: setter, field: 'image' };
  if (parts.length === 3 && (FIELDS as readonly string[]).includes(parts[2])) return { policy: `${parts[0]}:${parts[1]}`, field: parts[2] as SetterField };
  return undefined;
}
