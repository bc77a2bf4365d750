import type { LockBadTagChange, LockHoldChange } from './lock-change';

/** Hold and bad-tag changes, the part of a change set that Flux's template data cannot express. */
export interface LockNoteChanges {
  /** Holds set, changed or released. */
  readonly holds?: readonly LockHoldChange[];
  /** Bad tags marked or unmarked. */
  readonly badTags?: readonly LockBadTagChange[];
}

const scope = (site: string | undefined) => (site === undefined ? '' : ` on site ${site}`);

/** One line per change, in the order the change sets list them: what happened and why. */
export function lockNoteLines(changes: LockNoteChanges): string[] {
  const holds = (changes.holds ?? []).map((c) => {
    if (c.action === 'removed') return `release ${c.policy}${scope(c.site)} (was held at ${c.from?.tag}: ${c.from?.reason})`;
    const was = c.action === 'updated' && c.from && c.from.tag !== c.to?.tag ? `, was ${c.from.tag}` : '';
    return `hold ${c.policy}${scope(c.site)} at ${c.to?.tag}${was}: ${c.to?.reason}`;
  });
  const bad = (changes.badTags ?? []).map((c) =>
    c.action === 'added' ? `mark ${c.policy} ${c.tag} bad: ${c.badTag.reason}` : `clear the bad mark of ${c.policy} ${c.tag} (was: ${c.badTag.reason})`,
  );
  return [...holds, ...bad];
}

/**
 * A commit message for hold and bad-tag changes: a subject naming the single change (or counting
 * several) and one body line per change with its reason. Deterministic; `undefined` when there is
 * nothing to say (callers must never make an empty commit).
 */
export function lockNotesMessage(changes: LockNoteChanges): string | undefined {
  const lines = lockNoteLines(changes);
  if (lines.length === 0) return undefined;
  const holds = changes.holds ?? [];
  const bad = changes.badTags ?? [];
  let subject: string;
  if (lines.length === 1 && holds.length === 1) {
    const c = holds[0];
    subject = c.action === 'removed' ? `images: release ${c.policy}${scope(c.site)}` : `images: hold ${c.policy}${scope(c.site)} at ${c.to?.tag}`;
  } else if (lines.length === 1) {
    const c = bad[0];
    subject = c.action === 'added' ? `images: mark ${c.policy} ${c.tag} bad` : `images: clear the bad mark of ${c.policy} ${c.tag}`;
  } else {
    subject = `images: ${lines.length} hold and bad-tag changes`;
  }
  return `${subject}\n\n${lines.map((l) => `- ${l}`).join('\n')}\n`;
}
