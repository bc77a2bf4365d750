import { createHash } from 'node:crypto';

import { z } from 'zod';

import { ALERT_EVENT_KINDS, EVENT_SEVERITY, type AlertEventKind, type AlertSeverity } from '../../constructs';
import { InvalidEventError } from './errors';

/**
 * The events the reconcile loop and the image loop emit, as typed data. Each carries a stable
 * `id` (a hash of its content, time included: the same event sent twice, or retried, keeps its
 * id so receivers can drop duplicates; the same thing happening again later is a new event) and
 * the fixed severity of its kind ({@link EVENT_SEVERITY}).
 *
 * Build events with {@link createEvent} (fills `id`, `severity`, `occurredAt`, and checks the
 * input); read them from JSON with {@link parseEvent}.
 */

/** A commit of the config repository. */
export interface GitCommitRef {
  /** Full commit SHA (40 hex digits, or 64 for SHA-256 repositories). */
  readonly sha: string;
  /** Repository URL or `owner/repo`. @default the fleet's config repository */
  readonly repository?: string;
  /** Branch the commit is on. */
  readonly branch?: string;
}

/** An image version: tag and, when known, the digest it pointed at. */
export interface ImageVersion {
  readonly tag: string;
  /** `sha256:<hex>`. */
  readonly digest?: string;
}

/** What a reconcile run did, per action (Flux's change-set actions). */
export interface ChangeSummary {
  readonly created: number;
  readonly configured: number;
  readonly deleted: number;
  readonly unchanged: number;
}

/** One object a run created, changed or deleted. */
export interface ChangedObject {
  /** `Kind/namespace/name` (or `Kind/name` for cluster-scoped objects). */
  readonly id: string;
  readonly action: 'created' | 'configured' | 'deleted';
  /** The app it belongs to (`app.kubernetes.io/name`), if any. */
  readonly app?: string;
}

/** One object whose live state was put back, with the fields that had drifted. */
export interface CorrectedObject {
  /** `Kind/namespace/name`. */
  readonly id: string;
  /** Field paths that differed, e.g. `spec.replicas`. */
  readonly fields: readonly string[];
  readonly app?: string;
}

/** The state of the pod that made a rollback necessary. */
export interface PodState {
  /** Pod name. */
  readonly pod?: string;
  /** Container name. */
  readonly container?: string;
  /** Waiting or termination reason: `CrashLoopBackOff`, `ImagePullBackOff`, `Error`, ... */
  readonly reason: string;
  /** The kubelet's message, if any. */
  readonly message?: string;
  /** Container restarts so far. */
  readonly restarts?: number;
}

/** Fields every event has. */
interface EventBase<K extends AlertEventKind> {
  /** Stable id (32 hex digits); see {@link eventId}. */
  readonly id: string;
  readonly kind: K;
  /** Fixed per kind: see {@link EVENT_SEVERITY}. */
  readonly severity: AlertSeverity;
  /** When it happened, ISO 8601 UTC. */
  readonly occurredAt: string;
  /** Fleet name. */
  readonly fleet?: string;
}

/** A site was reconciled to a commit. */
export interface ReconcileSucceededEvent extends EventBase<'reconcile.succeeded'> {
  readonly site: string;
  readonly commit: GitCommitRef;
  /** Counts per action. */
  readonly summary: ChangeSummary;
  /** Objects created, configured or deleted. */
  readonly changed: readonly ChangedObject[];
  /** Wall time of the run. */
  readonly durationMs: number;
}

/** A reconcile run failed. */
export interface ReconcileFailedEvent extends EventBase<'reconcile.failed'> {
  readonly site: string;
  /** The commit being applied; absent when the failure came before one was known (Git unreachable). */
  readonly commit?: GitCommitRef;
  /** What went wrong, in words (one line). */
  readonly reason: string;
  /** The error's stable code (`synthesis-failed`, `dry-run-rejected`, `health-check-failed`, ...). */
  readonly errorCode: string;
  /** True when the loop stopped retrying this commit (it needs a new commit or a person). */
  readonly stalled: boolean;
  /** Apps the failure concerns; absent: the whole site. */
  readonly apps?: readonly string[];
}

/** Drift on the cluster was corrected. */
export interface DriftCorrectedEvent extends EventBase<'drift.corrected'> {
  readonly site: string;
  readonly commit: GitCommitRef;
  readonly corrected: readonly CorrectedObject[];
}

/** Image automation moved a policy to a new tag and committed it. */
export interface ImageUpdatedEvent extends EventBase<'image.updated'> {
  readonly policy: string;
  /** Image repository, e.g. `registry.local:5000/edge/gateway`. */
  readonly image: string;
  /** The app concerned, when the update is for one app. */
  readonly app?: string;
  /** The site, for a per-site lock entry; absent for a fleet-wide one. */
  readonly site?: string;
  /** Version before; absent on the first update. */
  readonly from?: ImageVersion;
  readonly to: ImageVersion;
  /** The commit that records the update. */
  readonly commit: GitCommitRef;
}

/** Image automation refused a tag. */
export interface ImageRefusedEvent extends EventBase<'image.refused'> {
  readonly policy: string;
  readonly image?: string;
  readonly app?: string;
  readonly site?: string;
  /** The refused tag. */
  readonly tag: string;
  /** Stable reason code (`missing-platform`, `older-than-locked`, `held`, ...). */
  readonly reasonCode: string;
  /** The reason in words, e.g. `provides linux/amd64, requires linux/arm64`. */
  readonly reason: string;
}

/** A tag made pods fail and the previous one was restored. */
export interface ImageRolledBackEvent extends EventBase<'image.rolledback'> {
  readonly policy: string;
  readonly image?: string;
  readonly app?: string;
  readonly site?: string;
  /** The tag that failed. */
  readonly badTag: ImageVersion;
  /** The tag running again. */
  readonly restoredTag: ImageVersion;
  /** What the pods did. */
  readonly podState: PodState;
  /** The commit that records the rollback. */
  readonly commit: GitCommitRef;
}

/** Any event. Switch on `kind`. */
export type FluxOpsEvent =
  | ReconcileSucceededEvent
  | ReconcileFailedEvent
  | DriftCorrectedEvent
  | ImageUpdatedEvent
  | ImageRefusedEvent
  | ImageRolledBackEvent;

/** An event as a loop builds it: without `id` and `severity`, `occurredAt` optional. */
export type EventInput<E extends FluxOpsEvent = FluxOpsEvent> = E extends FluxOpsEvent
  ? Omit<E, 'id' | 'severity' | 'occurredAt'> & { readonly occurredAt?: string | Date }
  : never;

// ---- schemas (external input: events read from JSON, and the check in createEvent) -------------

const text = z.string().min(1).max(4096).refine((s) => !/[\r\n]/.test(s), 'must be a single line');
const name = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label').max(63);
const sha = z.string().regex(/^([0-9a-f]{40}|[0-9a-f]{64})$/, 'must be a full commit SHA (40 or 64 lower-case hex digits)');
const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 hex digits>');
const tag = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'must be an image tag');
const count = z.number().int().nonnegative();
const commitSchema = z.strictObject({ sha, repository: text.optional(), branch: text.optional() });
const versionSchema = z.strictObject({ tag, digest: digest.optional() });
const objectId = z.string().min(3).max(512).regex(/^[A-Za-z0-9]+\/[^\s/]+(\/[^\s/]+)?$/, 'must be Kind/namespace/name or Kind/name');
const base = {
  id: z.string().regex(/^[0-9a-f]{32}$/),
  severity: z.enum(['info', 'warning', 'error']),
  occurredAt: z.iso.datetime(),
  fleet: name.optional(),
};

const schemas = {
  'reconcile.succeeded': z.strictObject({
    ...base,
    kind: z.literal('reconcile.succeeded'),
    site: name,
    commit: commitSchema,
    summary: z.strictObject({ created: count, configured: count, deleted: count, unchanged: count }),
    changed: z.array(z.strictObject({ id: objectId, action: z.enum(['created', 'configured', 'deleted']), app: name.optional() })),
    durationMs: z.number().nonnegative().finite(),
  }),
  'reconcile.failed': z.strictObject({
    ...base,
    kind: z.literal('reconcile.failed'),
    site: name,
    commit: commitSchema.optional(),
    reason: text,
    errorCode: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be a kebab-case error code'),
    stalled: z.boolean(),
    apps: z.array(name).optional(),
  }),
  'drift.corrected': z.strictObject({
    ...base,
    kind: z.literal('drift.corrected'),
    site: name,
    commit: commitSchema,
    corrected: z.array(z.strictObject({ id: objectId, fields: z.array(text), app: name.optional() })).min(1),
  }),
  'image.updated': z.strictObject({
    ...base,
    kind: z.literal('image.updated'),
    policy: name,
    image: text,
    app: name.optional(),
    site: name.optional(),
    from: versionSchema.optional(),
    to: versionSchema,
    commit: commitSchema,
  }),
  'image.refused': z.strictObject({
    ...base,
    kind: z.literal('image.refused'),
    policy: name,
    image: text.optional(),
    app: name.optional(),
    site: name.optional(),
    tag,
    reasonCode: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be a kebab-case reason code'),
    reason: text,
  }),
  'image.rolledback': z.strictObject({
    ...base,
    kind: z.literal('image.rolledback'),
    policy: name,
    image: text.optional(),
    app: name.optional(),
    site: name.optional(),
    badTag: versionSchema,
    restoredTag: versionSchema,
    podState: z.strictObject({ pod: text.optional(), container: text.optional(), reason: text, message: z.string().max(4096).optional(), restarts: count.optional() }),
    commit: commitSchema,
  }),
} as const;

/** Schema of every event (discriminated on `kind`). */
export const fluxOpsEventSchema = z.discriminatedUnion('kind', [
  schemas['reconcile.succeeded'],
  schemas['reconcile.failed'],
  schemas['drift.corrected'],
  schemas['image.updated'],
  schemas['image.refused'],
  schemas['image.rolledback'],
]);

// The interfaces above are what callers read; the schema must describe exactly them.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesTypes: Same<z.infer<typeof fluxOpsEventSchema>, DeepMutable<FluxOpsEvent>> = true;
void schemaMatchesTypes;
type DeepMutable<T> = T extends readonly (infer U)[] ? DeepMutable<U>[] : T extends object ? { -readonly [K in keyof T]: DeepMutable<T[K]> } : T;

/**
 * The stable id of an event: the first 128 bits of SHA-256 over its canonical JSON (sorted keys;
 * `id` and `severity` left out), as 32 hex digits.
 */
export function eventId(event: Omit<FluxOpsEvent, 'id' | 'severity'> | FluxOpsEvent): string {
  const { id: _id, severity: _severity, ...content } = event as Partial<FluxOpsEvent>;
  void _id;
  void _severity;
  return createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 32);
}

/**
 * Completes and checks an event as a loop builds it: `occurredAt` (default: `now`), `severity`
 * (from the kind) and `id`.
 *
 * @throws InvalidEventError naming the field, when the input breaks the event's schema
 */
export function createEvent<E extends FluxOpsEvent>(input: EventInput<E>, now: () => Date = () => new Date()): E {
  const kind = (input as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !(ALERT_EVENT_KINDS as readonly string[]).includes(kind)) {
    throw new InvalidEventError('event', 'kind', `must be one of ${ALERT_EVENT_KINDS.join(', ')}`, kind);
  }
  const at = input.occurredAt === undefined ? now() : input.occurredAt;
  const occurredAt = at instanceof Date ? at.toISOString() : at;
  const withoutId = { ...input, occurredAt, severity: EVENT_SEVERITY[kind as AlertEventKind] };
  const candidate = { ...withoutId, id: eventId(withoutId as unknown as FluxOpsEvent) };
  return parseEvent(candidate, `${kind} event`) as E;
}

/**
 * Reads an event from untrusted data (JSON from another process). Checks the schema, that the
 * severity is the kind's, and that the id matches the content.
 *
 * @throws InvalidEventError naming the input and the field
 */
export function parseEvent(data: unknown, input = 'event'): FluxOpsEvent {
  const parsed = fluxOpsEventSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.map(String).join('.') || '(root)';
    throw new InvalidEventError(input, field, issue.message, valueAt(data, issue.path));
  }
  const event = parsed.data as FluxOpsEvent;
  if (event.severity !== EVENT_SEVERITY[event.kind]) {
    throw new InvalidEventError(input, 'severity', `must be ${EVENT_SEVERITY[event.kind]} for ${event.kind}`, event.severity);
  }
  const expected = eventId(event);
  if (event.id !== expected) throw new InvalidEventError(input, 'id', 'does not match the event content (see eventId)', event.id);
  return event;
}

/** JSON with object keys sorted at every level (arrays keep their order). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = data;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}
