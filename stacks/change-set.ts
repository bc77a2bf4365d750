import type { EngineEvent } from '@pulumi/pulumi/automation';

/** What happened to one object. */
export type ChangeAction = 'created' | 'configured' | 'unchanged' | 'deleted' | 'failed';

/** All actions, in the order summaries list them. */
export const CHANGE_ACTIONS: readonly ChangeAction[] = ['created', 'configured', 'unchanged', 'deleted', 'failed'];

/** The outcome for one Kubernetes object of a site. */
export interface ChangeSetEntry {
  /** `Kind/namespace/name`, or `Kind/name` for cluster-scoped objects. */
  readonly id: string;
  readonly apiVersion?: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly action: ChangeAction;
  /** Why or how (the server's error for `failed`, `replaced` for a replacement, the health state after waiting). */
  readonly message: string;
}

/** The result of one deploy (or preview): one entry per object, in the order they were decided. */
export interface ChangeSet {
  /** True for a preview / dry run: nothing was changed. */
  readonly dryRun: boolean;
  readonly entries: readonly ChangeSetEntry[];
}

/** Counts per action. */
export function summarizeChangeSet(cs: ChangeSet): Record<ChangeAction, number> {
  const out = Object.fromEntries(CHANGE_ACTIONS.map((a) => [a, 0])) as Record<ChangeAction, number>;
  for (const e of cs.entries) out[e.action] += 1;
  return out;
}

/** `2 created, 1 configured, 7 unchanged` (actions with a zero count left out), or `no objects`. */
export function formatSummary(cs: ChangeSet): string {
  const s = summarizeChangeSet(cs);
  const parts = CHANGE_ACTIONS.filter((a) => s[a] > 0).map((a) => `${s[a]} ${a}`);
  return parts.length > 0 ? parts.join(', ') : 'no objects';
}

/** `Kind/namespace/name` of an object. */
export function objectId(o: { readonly kind: string; readonly namespace?: string; readonly name: string }): string {
  return o.namespace ? `${o.kind}/${o.namespace}/${o.name}` : `${o.kind}/${o.name}`;
}

/** Plain text, one line per changed object (unchanged ones only counted), then the summary. */
export function renderChangeSetText(cs: ChangeSet, opts: { verbose?: boolean } = {}): string {
  const verbs: Record<ChangeAction, string> = cs.dryRun
    ? { created: 'would create', configured: 'would configure', unchanged: 'unchanged', deleted: 'would delete', failed: 'would fail' }
    : { created: 'created', configured: 'configured', unchanged: 'unchanged', deleted: 'deleted', failed: 'failed' };
  const lines = cs.entries
    .filter((e) => opts.verbose || e.action !== 'unchanged')
    .map((e) => `${e.id} ${verbs[e.action]}${e.message ? ` (${e.message})` : ''}`);
  lines.push(`${cs.dryRun ? 'preview: ' : ''}${formatSummary(cs)}`);
  return lines.join('\n');
}

/** Pulumi resource types that are not Kubernetes objects of the site. */
const NOT_OBJECTS = [/^pulumi:/, /^fluxops:/, /^kubernetes:yaml\//, /^kubernetes:kustomize\//, /^kubernetes:helm/];

/** Pulumi step ops -> what they mean for the object. */
const OP_ACTION: Readonly<Record<string, ChangeAction | undefined>> = {
  create: 'created',
  update: 'configured',
  same: 'unchanged',
  delete: 'deleted',
  replace: 'configured',
  'create-replacement': 'configured',
  'delete-replaced': undefined,
  import: 'created',
  'import-replacement': 'configured',
  'discard': 'deleted',
  'discard-replaced': undefined,
  'remove-pending-replace': undefined,
  read: undefined,
  'read-replacement': undefined,
  refresh: undefined,
};

interface Pending {
  entry: ChangeSetEntry;
  urn: string;
}

/**
 * Builds a {@link ChangeSet} from Pulumi's engine events (pass `record` as `onEvent` of
 * up/preview/destroy). Each Kubernetes object gets one entry: the final outcome of its step, or
 * `failed` with the diagnostics Pulumi reported for it.
 */
export class ChangeSetRecorder {
  private readonly byUrn = new Map<string, Pending>();
  private readonly diagnostics = new Map<string, string[]>();

  constructor(private readonly dryRun: boolean) {}

  /** Feed every engine event here. */
  readonly record = (event: EngineEvent): void => {
    if (event.diagnosticEvent && event.diagnosticEvent.urn && (event.diagnosticEvent.severity === 'error' || event.diagnosticEvent.severity === 'warning')) {
      const list = this.diagnostics.get(event.diagnosticEvent.urn) ?? [];
      list.push(cleanDiagnostic(event.diagnosticEvent.message));
      this.diagnostics.set(event.diagnosticEvent.urn, list);
    }
    const step = event.resOutputsEvent?.metadata ?? event.resOpFailedEvent?.metadata ?? (this.dryRun ? event.resourcePreEvent?.metadata : undefined);
    if (!step || NOT_OBJECTS.some((re) => re.test(step.type))) return;
    if (!step.type.startsWith('kubernetes:')) return;
    const failed = event.resOpFailedEvent !== undefined;
    const action = failed ? 'failed' : OP_ACTION[step.op];
    if (action === undefined) return;
    const state = step.new ?? step.old;
    const ident = identify(step.type, state?.inputs ?? state?.outputs, step.urn);
    const message = step.op === 'replace' || step.op === 'create-replacement' ? 'replaced' : '';
    this.byUrn.set(step.urn, { urn: step.urn, entry: { ...ident, action, message } });
  };

  /** The change set so far. */
  result(): ChangeSet {
    const entries = [...this.byUrn.values()].map(({ urn, entry }) => {
      if (entry.action !== 'failed') return entry;
      const diag = (this.diagnostics.get(urn) ?? []).join('; ');
      return { ...entry, message: diag || 'failed (see the Pulumi output)' };
    });
    // Objects Pulumi only reported diagnostics for (a failure before the step event) are failures too.
    for (const [urn, messages] of this.diagnostics) {
      if (this.byUrn.has(urn) || !/::kubernetes:[^:]+:[^:]+::/.test(urn) && !/\$kubernetes:/.test(urn)) continue;
      const type = /(kubernetes:[^:]+:[^:]+)::/.exec(urn)?.[1];
      if (!type || NOT_OBJECTS.some((re) => re.test(type))) continue;
      entries.push({ ...identify(type, undefined, urn), action: 'failed', message: messages.join('; ') });
    }
    return { dryRun: this.dryRun, entries };
  }
}

function identify(type: string, props: Record<string, unknown> | undefined, urn: string): Omit<ChangeSetEntry, 'action' | 'message'> {
  const meta = (props?.metadata ?? {}) as { name?: unknown; namespace?: unknown };
  const [, apiPath = '', kindFromType = 'Object'] = /^kubernetes:([^:]+):(.+)$/.exec(type) ?? [];
  const apiVersion = typeof props?.apiVersion === 'string' ? props.apiVersion : apiPath.replace(/^core\//, '');
  const kind = typeof props?.kind === 'string' ? props.kind : kindFromType;
  // Without properties (a failure before inputs were recorded), the resource name is `namespace/name`.
  const logical = urn.slice(urn.lastIndexOf('::') + 2);
  const name = typeof meta.name === 'string' ? meta.name : logical.includes('/') ? logical.slice(logical.indexOf('/') + 1) : logical;
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : typeof meta.name !== 'string' && logical.includes('/') ? logical.slice(0, logical.indexOf('/')) : undefined;
  return { id: objectId({ kind, name, ...(namespace ? { namespace } : {}) }), apiVersion, kind, ...(namespace ? { namespace } : {}), name };
}

function cleanDiagnostic(message: string): string {
  return message
    .replace(/\x1b\[[0-9;]*m/g, '')
    .replace(/<\{%reset%\}>|<\{%[^%]*%\}>/g, '')
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .join(' ')
    .slice(0, 1000);
}
