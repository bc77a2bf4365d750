import type { ChangedObject, CorrectedObject, FluxOpsEvent, GitCommitRef, ImageVersion } from './events';

/**
 * What an event says, in words, for every renderer: a one-line title that names what changed
 * (app, site, old -> new tag, commit), detail lines, and label/value facts. Renderers format
 * these; none assembles its own wording, so Slack, Teams and the webhook say the same thing.
 */
export interface EventDescription {
  /** One line: what changed, where. */
  readonly title: string;
  /** Further lines (objects changed, digests, pod state, commit). */
  readonly lines: readonly string[];
  /** Label/value pairs: Site, App, Policy, Image, Tag, Digest, Commit, Reason, ... */
  readonly facts: readonly EventFact[];
}

/** One label/value pair of an {@link EventDescription}. */
export interface EventFact {
  readonly label: string;
  readonly value: string;
}

/** How many objects are listed by name before "and N more". */
export const MAX_LISTED_OBJECTS = 10;

/** Describes an event. Pure. */
export function describeEvent(event: FluxOpsEvent): EventDescription {
  switch (event.kind) {
    case 'reconcile.succeeded': {
      const { created, configured, deleted } = event.summary;
      const counts = [`${created} created`, `${configured} configured`, `${deleted} deleted`].join(', ');
      return {
        title: `${event.site}: applied ${shortSha(event.commit.sha)}: ${counts} (${seconds(event.durationMs)})`,
        lines: [...listed(event.changed, (o) => `${o.action} ${objectName(o.id)}${appSuffix(o)}`), commitLine(event.commit)],
        facts: compact([
          ['Site', event.site],
          ['Commit', commitFact(event.commit)],
          ['Changes', `${counts}, ${event.summary.unchanged} unchanged`],
          ['Apps', unique(event.changed.map((o) => o.app)).join(', ')],
          ['Duration', seconds(event.durationMs)],
        ]),
      };
    }
    case 'reconcile.failed':
      return {
        title: `${event.site}: failed to apply${event.commit ? ` ${shortSha(event.commit.sha)}` : ''}: ${event.reason}`,
        lines: [
          `error code: ${event.errorCode}`,
          event.stalled ? 'stalled: no more retries for this commit; it needs a fix and a new commit' : 'will be retried',
          ...(event.apps && event.apps.length > 0 ? [`apps: ${event.apps.join(', ')}`] : []),
          ...(event.commit ? [commitLine(event.commit)] : []),
        ],
        facts: compact([
          ['Site', event.site],
          ['Commit', event.commit ? commitFact(event.commit) : undefined],
          ['Error', event.errorCode],
          ['Stalled', event.stalled ? 'yes' : 'no'],
          ['Apps', (event.apps ?? []).join(', ')],
        ]),
      };
    case 'drift.corrected':
      return {
        title: `${event.site}: corrected drift on ${plural(event.corrected.length, 'object')} at ${shortSha(event.commit.sha)}`,
        lines: [...listed(event.corrected, (o) => `${objectName(o.id)}${appSuffix(o)}: ${o.fields.join(', ') || '(whole object)'}`), commitLine(event.commit)],
        facts: compact([
          ['Site', event.site],
          ['Commit', commitFact(event.commit)],
          ['Objects', event.corrected.map((o) => objectName(o.id)).join(', ')],
          ['Apps', unique(event.corrected.map((o) => o.app)).join(', ')],
        ]),
      };
    case 'image.updated':
      return {
        title: `${event.policy}${where(event)}: ${event.from ? `${event.from.tag} -> ` : ''}${event.to.tag}`,
        lines: [
          `image ${event.image}`,
          ...(event.from?.digest || event.to.digest ? [`digest ${event.from ? `${digestText(event.from)} -> ` : ''}${digestText(event.to)}`] : []),
          `recorded in ${commitLine(event.commit)}`,
        ],
        facts: compact([
          ['Policy', event.policy],
          ['App', event.app],
          ['Site', event.site ?? 'all sites'],
          ['Image', event.image],
          ['Tag', `${event.from ? `${event.from.tag} -> ` : ''}${event.to.tag}`],
          ['Digest', event.from?.digest || event.to.digest ? `${event.from ? `${digestText(event.from)} -> ` : ''}${digestText(event.to)}` : undefined],
          ['Commit', commitFact(event.commit)],
        ]),
      };
    case 'image.refused':
      return {
        title: `${event.policy}${where(event)}: refused ${event.tag}: ${event.reason}`,
        lines: [`reason code: ${event.reasonCode}`, ...(event.image ? [`image ${event.image}`] : [])],
        facts: compact([
          ['Policy', event.policy],
          ['App', event.app],
          ['Site', event.site],
          ['Image', event.image],
          ['Tag', event.tag],
          ['Reason', `${event.reason} (${event.reasonCode})`],
        ]),
      };
    case 'image.rolledback': {
      const pod = event.podState;
      const podText = `${pod.pod ? `pod ${pod.pod}` : 'pods'}${pod.container ? ` container ${pod.container}` : ''}: ${pod.reason}${pod.message ? `: ${pod.message}` : ''}${pod.restarts !== undefined ? ` (${plural(pod.restarts, 'restart')})` : ''}`;
      return {
        title: `${event.policy}${where(event)}: rolled back ${event.badTag.tag} -> ${event.restoredTag.tag}: ${pod.reason}`,
        lines: [
          podText,
          ...(event.badTag.digest || event.restoredTag.digest ? [`digest ${digestText(event.badTag)} -> ${digestText(event.restoredTag)}`] : []),
          `recorded in ${commitLine(event.commit)}`,
        ],
        facts: compact([
          ['Policy', event.policy],
          ['App', event.app],
          ['Site', event.site],
          ['Image', event.image],
          ['Tag', `${event.badTag.tag} -> ${event.restoredTag.tag}`],
          ['Pod', podText],
          ['Commit', commitFact(event.commit)],
        ]),
      };
    }
  }
}

/** The first 7 hex digits of a commit, as Git shows it. */
export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

/** `sha256:` and the first 12 hex digits. */
export function shortDigest(digest: string): string {
  return digest.slice(0, 'sha256:'.length + 12);
}

/** `Kind/ns/name` as `Kind ns/name`. */
export function objectName(id: string): string {
  const slash = id.indexOf('/');
  return slash < 0 ? id : `${id.slice(0, slash)} ${id.slice(slash + 1)}`;
}

function where(e: { app?: string; site?: string }): string {
  return `${e.app ? ` (app ${e.app})` : ''}${e.site ? ` on ${e.site}` : ''}`;
}

function digestText(v: ImageVersion): string {
  return v.digest ? shortDigest(v.digest) : '(no digest)';
}

function commitLine(c: GitCommitRef): string {
  return `commit ${shortSha(c.sha)}${c.repository ? ` of ${c.repository}` : ''}${c.branch ? ` (${c.branch})` : ''}`;
}

function commitFact(c: GitCommitRef): string {
  return `${shortSha(c.sha)}${c.branch ? ` (${c.branch})` : ''}`;
}

function appSuffix(o: ChangedObject | CorrectedObject): string {
  return o.app ? ` (app ${o.app})` : '';
}

function listed<T>(items: readonly T[], line: (item: T) => string): string[] {
  const shown = items.slice(0, MAX_LISTED_OBJECTS).map(line);
  return items.length > MAX_LISTED_OBJECTS ? [...shown, `and ${items.length - MAX_LISTED_OBJECTS} more`] : shown;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function unique(values: readonly (string | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== undefined))];
}

function compact(pairs: readonly [string, string | undefined][]): EventFact[] {
  return pairs.filter((p): p is [string, string] => p[1] !== undefined && p[1] !== '').map(([label, value]) => ({ label, value }));
}
