import { isDeepStrictEqual } from 'node:util';
import { CST, Node, Pair, YAMLMap, isMap, isScalar, isSeq } from 'yaml';
import { compareCodePoints } from '../../../constructs/compare-code-points';
import {
  ImageLock,
  ImageLockEntry,
  ImageLockError,
  emptyImageLock,
  parseImageLock,
  serializeImageLock,
  validateImageLock,
  withBadTag,
  withLockEntry,
  withLockHold,
  withoutBadTag,
  withoutLockEntry,
  withoutLockHold,
} from '../../../constructs/lock';
import { LockEntryChange, LockRewrite, LockUpdate, diffImageLocks, diffLockBadTags, diffLockHolds } from './lock-change';
import { rewriteLockNotes } from './update-lock-notes';
import { LockEditError } from './lock-edit-error';
import { PassContext, afterColon, compareRootKeys, keyLineStart, linesAt, membershipEdits, pairExtentEnd, runPass, scalarEdit } from './block-edits';
import { NewPair, entryPairs, flowSeqText, mapPair, platformLines, scalarText, spaces } from './lock-layout';
import { TextEdit } from './text-edit';
import { findPair, isFlowCollection, nodeContentEnd, nodeStart } from './yaml-document';

/** Options of {@link updateLockText}. */
export interface UpdateLockOptions {
  /** Name of the input in errors (the file's path in the repository, e.g. `clusters/fluxops.lock.yaml`). */
  readonly source: string;
  /**
   * Write a new `updatedAt` even when an update selects the image the entry already records.
   * By default such an update is a no-op: `updatedAt` says when the image was selected, and
   * re-selecting it must not produce a commit. The same goes for a hold's `since` when a
   * `set-hold` repeats the recorded tag and reason.
   * @default false
   */
  readonly refreshTimestamps?: boolean;
}

/**
 * Applies `updates` to the text of a `fluxops.lock.yaml` and returns the new text plus the typed
 * change sets (entries, holds, bad tags). Only the scalars that change are rewritten; comments,
 * indentation, key order, quoting, flow style, line endings and a BOM stay as they are. New
 * entries, holds and site sections go in sorted position, new bad tags in list order
 * (`withBadTag`), new top-level sections (`holds`, `siteHolds`, `badTags`) after the others in
 * that order, all in the file's own style; a section whose last member goes is removed. A
 * missing or blank file (`undefined` or whitespace) becomes a fresh lock written by
 * `serializeImageLock`.
 *
 * An update that changes nothing returns the input unchanged with an empty change set. An
 * invalid input or an update that would make the lock invalid throws {@link ImageLockError}
 * naming `options.source` and the field; a lock that cannot be edited in place throws
 * {@link LockEditError}. Nothing is returned in either case.
 */
export function updateLockText(text: string | undefined, updates: readonly LockUpdate[], options: UpdateLockOptions): LockRewrite {
  const { source } = options;
  const input = text ?? '';
  const fresh = input.replace(/^\uFEFF/, '').trim() === '';
  const before = fresh ? emptyImageLock() : parseImageLock(input, source);
  const intended = applyUpdates(before, updates, options);
  const changes = diffImageLocks(before, intended);
  const holds = diffLockHolds(before, intended);
  const badTags = diffLockBadTags(before, intended);
  if (changes.length === 0 && holds.length === 0 && badTags.length === 0) return { text: input, changed: false, changes: [], holds: [], badTags: [], lock: before };
  const out = fresh ? serializeImageLock(intended) : keepFinalNewlineStyle(input, rewriteLockNotes(rewriteLock(input, before, intended, changes, source), intended, holds, badTags, source));
  verifyRewrite(out, intended, source);
  return { text: out, changed: true, changes, holds, badTags, lock: intended };
}

/**
 * A file that ends without a line break keeps ending without one: removing its last lines leaves
 * the break of the line before them at the end, which is dropped here (additions at such an end
 * already put the break in front).
 */
function keepFinalNewlineStyle(input: string, out: string): string {
  return !input.endsWith('\n') && out.endsWith('\n') ? out.replace(/\r?\n$/, '') : out;
}

function applyUpdates(before: ImageLock, updates: readonly LockUpdate[], options: UpdateLockOptions): ImageLock {
  const { source } = options;
  let lock = before;
  updates.forEach((u, i) => {
    const where = `updates[${i}]`;
    if (typeof u !== 'object' || u === null) throw new ImageLockError({ source, field: where, reason: 'must be an update object' });
    if (typeof u.policy !== 'string') throw new ImageLockError({ source, field: `${where}.policy`, reason: 'must be a policy name' });
    const site = (u as { site?: unknown }).site;
    if (site !== undefined && typeof site !== 'string') throw new ImageLockError({ source, field: `${where}.site`, reason: 'must be a site name or absent' });
    if (u.action === 'remove') {
      lock = withoutLockEntry(lock, u.policy, u.site);
    } else if (u.action === 'set') {
      if (typeof u.entry !== 'object' || u.entry === null) throw new ImageLockError({ source, field: `${where}.entry`, reason: 'must be a lock entry' });
      const current = u.site === undefined ? lock.policies[u.policy] : lock.sites[u.site]?.[u.policy];
      const sameImage = current !== undefined && isDeepStrictEqual({ ...current, updatedAt: '' }, { ...u.entry, updatedAt: '' });
      const entry = sameImage && !options.refreshTimestamps ? current : u.entry;
      lock = withLockEntry(lock, u.policy, entry, u.site);
    } else if (u.action === 'set-hold') {
      if (typeof u.hold !== 'object' || u.hold === null) throw new ImageLockError({ source, field: `${where}.hold`, reason: 'must be a hold ({ tag, reason, since })' });
      const current = u.site === undefined ? lock.holds?.[u.policy] : lock.siteHolds?.[u.site]?.[u.policy];
      const same = current !== undefined && current.tag === u.hold.tag && current.reason === u.hold.reason;
      lock = withLockHold(lock, u.policy, same && !options.refreshTimestamps ? current : u.hold, u.site);
    } else if (u.action === 'remove-hold') {
      lock = withoutLockHold(lock, u.policy, u.site);
    } else if (u.action === 'add-bad-tag' || u.action === 'remove-bad-tag') {
      if (site !== undefined) throw new ImageLockError({ source, field: `${where}.site`, reason: 'bad tags are fleet-wide (a bad image is bad on every site); leave site out' });
      if (u.action === 'add-bad-tag') {
        if (typeof u.badTag !== 'object' || u.badTag === null) throw new ImageLockError({ source, field: `${where}.badTag`, reason: 'must be a bad tag ({ tag, reason, since })' });
        lock = withBadTag(lock, u.policy, u.badTag);
      } else {
        if (typeof u.tag !== 'string') throw new ImageLockError({ source, field: `${where}.tag`, reason: 'must be a tag' });
        lock = withoutBadTag(lock, u.policy, u.tag);
      }
    } else {
      throw new ImageLockError({
        source,
        field: `${where}.action`,
        reason: `must be one of "set", "remove", "set-hold", "remove-hold", "add-bad-tag", "remove-bad-tag", not ${JSON.stringify((u as { action: unknown }).action)}`,
      });
    }
  });
  // Names the first bad field of the result (`sites.warehouse-b.mqtt-broker.tag`) and the file.
  return validateImageLock(lock, source);
}

function verifyRewrite(out: string, intended: ImageLock, source: string): void {
  let reread: ImageLock;
  try {
    reread = parseImageLock(out, source);
  } catch (cause) {
    throw new LockEditError({ source, field: '(document)', reason: `the edited text would not be a valid lock (${cause instanceof Error ? cause.message : String(cause)})`, cause });
  }
  if (isDeepStrictEqual(reread, intended)) return;
  const entry = diffImageLocks(intended, reread)[0];
  const hold = diffLockHolds(intended, reread)[0];
  const bad = diffLockBadTags(intended, reread)[0];
  const field = entry
    ? entryPath(entry.policy, entry.site)
    : hold
      ? hold.site === undefined
        ? `holds.${hold.policy}`
        : `siteHolds.${hold.site}.${hold.policy}`
      : bad
        ? `badTags.${bad.policy}`
        : '(document)';
  throw new LockEditError({
    source,
    field,
    reason: 'editing the text in place would not give the intended entry (is it shared through a YAML anchor or alias?); nothing was written',
  });
}

function entryPath(policy: string, site?: string): string {
  return site === undefined ? `policies.${policy}` : `sites.${site}.${policy}`;
}

// ---------------------------------------------------------------------------------------------
// The rewrite runs in three passes, each on a fresh parse of the previous pass's text, so that
// edits of one pass never overlap: (1) fields of entries that stay, (2) entries added to or
// removed from existing maps, (3) site sections added or removed.

function rewriteLock(text: string, before: ImageLock, intended: ImageLock, changes: readonly LockEntryChange[], source: string): string {
  // A pass with nothing to do is skipped: the common run (new tags for existing entries) parses once.
  const siteMembership = changes.some((c) => c.site !== undefined && (before.sites[c.site] === undefined) !== (intended.sites[c.site] === undefined));
  let out = text;
  if (changes.some((c) => c.action === 'updated')) out = runPass(out, source, (ctx) => fieldEdits(ctx, changes));
  if (changes.some((c) => c.action !== 'updated')) out = runPass(out, source, (ctx) => entryEdits(ctx, intended, changes));
  if (siteMembership) out = runPass(out, source, (ctx) => siteEdits(ctx, intended, changes));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Pass 1: fields of entries that exist before and after.

function fieldEdits(ctx: PassContext, changes: readonly LockEntryChange[]): TextEdit[] {
  const edits: TextEdit[] = [];
  for (const change of changes) {
    if (change.action !== 'updated' || !change.from || !change.to) continue;
    const field = entryPath(change.policy, change.site);
    const located = locateEntry(ctx, change.policy, change.site);
    if (!located) throw new LockEditError({ source: ctx.source, field, reason: 'the entry is not written as a plain mapping (shared through a YAML alias?)' });
    // parseImageLock rejects aliases, so an anchor here is referenced nowhere and editing is safe.
    const { entry, inFlow } = located;
    for (const f of change.fields) {
      if (f === 'platforms') edits.push(...platformsEdits(ctx, entry, inFlow, change.from.platforms, change.to.platforms, `${field}.platforms`));
      else edits.push(scalarEdit(ctx, findPair(entry, f)?.value, change.to[f], inFlow || isFlowCollection(entry), `${field}.${f}`));
    }
  }
  return edits;
}

function locateEntry(ctx: PassContext, policy: string, site?: string): { entry: YAMLMap<Node, Node | null>; pair: Pair<Node, Node | null>; inFlow: boolean } | undefined {
  let container: Node | null | undefined;
  let inFlow = isFlowCollection(ctx.root);
  if (site === undefined) {
    container = findPair(ctx.root, 'policies')?.value;
  } else {
    const sites = findPair(ctx.root, 'sites')?.value;
    inFlow ||= isFlowCollection(sites);
    container = findPair(sites, site)?.value;
  }
  inFlow ||= isFlowCollection(container);
  const pair = findPair(container, policy);
  if (!pair || !isMap(pair.value)) return undefined;
  return { entry: pair.value as YAMLMap<Node, Node | null>, pair, inFlow };
}

function platformsEdits(
  ctx: PassContext,
  entry: YAMLMap<Node, Node | null>,
  inFlow: boolean,
  from: readonly string[] | undefined,
  to: readonly string[] | undefined,
  field: string,
): TextEdit[] {
  const { src, layout } = ctx;
  const flowEntry = inFlow || isFlowCollection(entry);
  const pairs = entry.items as Pair<Node, Node | null>[];
  const pair = findPair(entry, 'platforms');
  if (to === undefined) {
    if (!pair) return [];
    if (!flowEntry) return [{ start: keyLineStart(ctx, pair, field), end: pairExtentEnd(src, pair), text: '' }];
    // Cut the pair with the separator before it (or after it when it comes first), so the
    // other fields' spans, which this pass may also edit, stay untouched.
    const i = pairs.indexOf(pair);
    if (i > 0) return [{ start: nodeContentEnd(pairs[i - 1].value ?? pairs[i - 1].key), end: nodeContentEnd(pair.value ?? pair.key), text: '' }];
    return [{ start: nodeStart(pair.key), end: nodeStart(pairs[1].key), text: '' }];
  }
  if (from === undefined || !pair) {
    // Platforms are written last, as serializeImageLock does.
    if (flowEntry) {
      const last = pairs[pairs.length - 1];
      const at = nodeContentEnd(last.value ?? last.key);
      return [{ start: at, end: at, text: `, platforms: ${flowSeqText(layout, to, layout.flowPad)}` }];
    }
    const column = src.columnOf(nodeStart(pairs[0].key));
    const lines = to.length === 0 ? [`${spaces(column)}platforms: []`] : [`${spaces(column)}platforms:`, ...platformLines(layout, to, column)];
    return [linesAt(ctx, pairExtentEnd(src, pairs[pairs.length - 1]), lines)];
  }
  const seq = pair.value;
  if (!isSeq(seq)) throw new LockEditError({ source: ctx.source, field, reason: 'is not a sequence' });
  const items = seq.items as Node[];
  if (items.length === to.length && items.every((i) => isScalar(i) && i.srcToken?.type !== 'block-scalar')) {
    return items.flatMap((item, i) => (from[i] === to[i] ? [] : [scalarEdit(ctx, item, to[i], flowEntry || isFlowCollection(seq), `${field}[${i}]`)]));
  }
  if (isFlowCollection(seq) || items.length === 0) {
    const pad = src.text[nodeStart(seq) + 1] === ' ' || (items.length === 0 && layout.flowPad);
    return [{ start: nodeStart(seq), end: nodeContentEnd(seq), text: flowSeqText(layout, to, pad) }];
  }
  // A block sequence of another length: rewrite its item lines with the same dash column and gap.
  const seqToken = seq.srcToken as CST.BlockSequence;
  const dash = seqToken.items[0].start.find((t) => t.type === 'seq-item-ind');
  if (!dash || !src.startsLine(dash.offset)) throw new LockEditError({ source: ctx.source, field, reason: 'the sequence dash does not start its line' });
  const firstLine = src.lineStart(src.lineOf(dash.offset));
  const end = pairExtentEnd(src, pair);
  if (to.length === 0) {
    return [
      { start: firstLine, end, text: '' },
      { start: afterColon(ctx, pair, field), end: afterColon(ctx, pair, field), text: ' []' },
    ];
  }
  const dashColumn = src.columnOf(dash.offset);
  const gapText = src.text.slice(dash.offset + 1, nodeStart(items[0]));
  const gap = /^ +$/.test(gapText) ? gapText : ' ';
  const lines = to.map((v) => `${spaces(dashColumn)}-${gap}${scalarText(layout, 'platform', v, false)}`);
  const endsAtUnterminatedEof = end === src.text.length && !src.endsWithBreak;
  return [{ start: firstLine, end, text: lines.join(layout.eol) + (endsAtUnterminatedEof ? '' : layout.eol) }];
}

// ---------------------------------------------------------------------------------------------
// Pass 2: entries added to or removed from maps that exist (policies, and sites that stay).


function entryEdits(ctx: PassContext, intended: ImageLock, changes: readonly LockEntryChange[]): TextEdit[] {
  const edits: TextEdit[] = [];
  const rootInFlow = isFlowCollection(ctx.root);
  const scopeEdits = (map: Node | null | undefined, owner: Pair<Node, Node | null>, field: string, inFlow: boolean, scoped: LockEntryChange[], entries: Readonly<Record<string, ImageLockEntry>>) => {
    const removals = new Set(scoped.filter((c) => c.action === 'removed').map((c) => c.policy));
    const additions = entryPairs(
      ctx.layout,
      entries,
      scoped.filter((c) => c.action === 'created').map((c) => c.policy),
    );
    if (!isMap(map)) throw new LockEditError({ source: ctx.source, field, reason: 'is not a mapping' });
    edits.push(...membershipEdits(ctx, map as YAMLMap<Node, Node | null>, owner, field, inFlow, removals, additions, compareCodePoints));
  };

  const fleet = changes.filter((c) => c.site === undefined && c.action !== 'updated');
  if (fleet.length > 0) {
    const policies = findPair(ctx.root, 'policies');
    if (policies) {
      scopeEdits(policies.value, policies, 'policies', rootInFlow, fleet, intended.policies);
    } else {
      const created = fleet.filter((c) => c.action === 'created').map((c) => c.policy);
      const pair = mapPair(ctx.layout, 'policies', entryPairs(ctx.layout, intended.policies, created), ctx.layout.step);
      edits.push(...membershipEdits(ctx, ctx.root, undefined, '(document)', rootInFlow, new Set(), [pair], compareRootKeys));
    }
  }

  const sitesPair = findPair(ctx.root, 'sites');
  const sitesInFlow = rootInFlow || isFlowCollection(sitesPair?.value);
  const bySite = groupBySite(changes);
  for (const [site, scoped] of bySite) {
    const sitePair = findPair(sitesPair?.value, site);
    // New sites and sites that disappear are pass 3's business.
    if (!sitePair || intended.sites[site] === undefined) continue;
    const membership = scoped.filter((c) => c.action !== 'updated');
    if (membership.length === 0) continue;
    scopeEdits(sitePair.value, sitePair, `sites.${site}`, sitesInFlow, membership, intended.sites[site]);
  }
  return edits;
}

function groupBySite(changes: readonly LockEntryChange[]): Map<string, LockEntryChange[]> {
  const bySite = new Map<string, LockEntryChange[]>();
  for (const c of changes) {
    if (c.site === undefined) continue;
    bySite.set(c.site, [...(bySite.get(c.site) ?? []), c]);
  }
  return bySite;
}

// ---------------------------------------------------------------------------------------------
// Pass 3: site sections added or removed.

function siteEdits(ctx: PassContext, intended: ImageLock, changes: readonly LockEntryChange[]): TextEdit[] {
  const sitesPair = findPair(ctx.root, 'sites');
  const rootInFlow = isFlowCollection(ctx.root);
  const removals = new Set<string>();
  const additions: NewPair[] = [];
  for (const site of groupBySite(changes).keys()) {
    const exists = findPair(sitesPair?.value, site) !== undefined;
    const wanted = intended.sites[site];
    if (exists && wanted === undefined) removals.add(site);
    if (!exists && wanted !== undefined) {
      additions.push(mapPair(ctx.layout, site, entryPairs(ctx.layout, wanted, Object.keys(wanted)), ctx.layout.siteEntryOffset));
    }
  }
  if (removals.size === 0 && additions.length === 0) return [];
  if (!sitesPair) {
    const pair = mapPair(ctx.layout, 'sites', additions, ctx.layout.step);
    return membershipEdits(ctx, ctx.root, undefined, '(document)', rootInFlow, new Set(), [pair], compareRootKeys);
  }
  if (!isMap(sitesPair.value)) throw new LockEditError({ source: ctx.source, field: 'sites', reason: 'is not a mapping' });
  return membershipEdits(ctx, sitesPair.value as YAMLMap<Node, Node | null>, sitesPair, 'sites', rootInFlow, removals, additions, compareCodePoints);
}
