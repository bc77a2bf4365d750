import { compareCodePoints } from '../../../constructs/compare-code-points';
import { CommitTemplateChange, CommitTemplateError, compileCommitTemplate, renderCommitTemplate } from '../../../constructs/commit-template';
import { Fleet } from '../../../constructs/fleet';
import { CI_SKIP_MARKER, ImageUpdateAutomation } from '../../../constructs/image-update-automation';
import { IMAGE_LOCK_FILE, ImageLockEntry } from '../../../constructs/lock';
import { LockBadTagChange, LockEntryChange, LockHoldChange } from './lock-change';
import { lockNoteLines, lockNotesMessage } from './lock-notes-message';
import { SetterChange } from './update-setters';

/** What the commit message is rendered from: an ImageUpdateAutomation's settings. */
export interface CommitMessageSettings {
  /** Name of the automation (`.AutomationObject.Name`). */
  readonly automationName: string;
  /** Its namespace, the fleet's Flux namespace (`.AutomationObject.Namespace`, and the namespace of setter names). */
  readonly namespace: string;
  /** The Go template; `ImageUpdateAutomation.messageTemplate` already ends with the CI-skip marker when asked. */
  readonly messageTemplate: string;
  /**
   * Make sure the message carries {@link CI_SKIP_MARKER} (appended unless the template already
   * rendered it).
   * @default false
   */
  readonly skipCi?: boolean;
  /**
   * `.Values` (Flux's `messageTemplateValues`).
   * @default {}
   */
  readonly values?: Readonly<Record<string, string>>;
}

/** Everything one automation run changed: lock entries and/or setter-marked values. */
export interface ImageChangeSet {
  /**
   * Path of the lock file in the repository (the file name `.Changed.FileChanges` lists).
   * @default IMAGE_LOCK_FILE
   */
  readonly lockFile?: string;
  /** Lock entries that changed (from `updateLockText`). */
  readonly lock?: readonly LockEntryChange[];
  /** Marked values that changed (from `updateSetters`). */
  readonly setters?: readonly SetterChange[];
  /** Holds that changed (`LockRewrite.holds`). */
  readonly holds?: readonly LockHoldChange[];
  /** Bad tags that changed (`LockRewrite.badTags`). */
  readonly badTags?: readonly LockBadTagChange[];
}

/** The settings of an ImageUpdateAutomation construct, for {@link renderCommitMessage}. */
export function commitMessageSettings(automation: ImageUpdateAutomation): CommitMessageSettings {
  return {
    automationName: automation.automationName,
    namespace: Fleet.of(automation).fluxNamespace,
    messageTemplate: automation.messageTemplate,
    skipCi: automation.skipCi,
  };
}

const reference = (e: ImageLockEntry | undefined) => (e ? `${e.image}:${e.tag}@${e.digest}` : '');

/**
 * The template's view of a change set, in Flux's terms. A lock entry is a change of the whole
 * image reference (`image:tag@digest`; `""` before a creation or after a removal) made by the
 * policy's setter (`<namespace>:<policy>`) in an object with kind `ImageLockEntry`, the policy
 * as name and the site as namespace (empty for fleet-wide entries). Changes are ordered by file,
 * then as the change sets list them.
 */
export function commitTemplateChanges(changes: ImageChangeSet, namespace: string): CommitTemplateChange[] {
  const lockFile = changes.lockFile ?? IMAGE_LOCK_FILE;
  const lock: CommitTemplateChange[] = (changes.lock ?? []).map((c) => ({
    file: lockFile,
    object: { apiVersion: 'fluxops.dev/v1', kind: 'ImageLockEntry', name: c.policy, namespace: c.site ?? '' },
    oldValue: reference(c.from),
    newValue: reference(c.to),
    setter: `${namespace}:${c.policy}`,
  }));
  const setters: CommitTemplateChange[] = (changes.setters ?? []).map((c) => ({
    file: c.file,
    ...(c.object ? { object: c.object } : {}),
    oldValue: c.from,
    newValue: c.to,
    setter: c.setter,
  }));
  const all = [...lock, ...setters];
  return all.map((c, i) => ({ c, i })).sort((a, b) => compareCodePoints(a.c.file, b.c.file) || a.i - b.i).map(({ c }) => c);
}

/**
 * Renders the commit message for a change set: deterministic (same settings and changes, same
 * bytes), with the CI-skip marker when asked. Entry and setter changes go through the template
 * (Flux's data model); hold and bad-tag changes, which Flux's data cannot express, are listed
 * after it (or make the whole message, `lockNotesMessage`, when nothing else changed). An empty
 * change set renders nothing (`undefined`): callers must never make an empty commit. A template
 * that fails, or renders only whitespace, throws {@link CommitTemplateError}.
 */
export function renderCommitMessage(settings: CommitMessageSettings, changes: ImageChangeSet): string | undefined {
  const list = commitTemplateChanges(changes, settings.namespace);
  const notes = lockNoteLines(changes);
  if (list.length === 0 && notes.length === 0) return undefined;
  let message: string;
  if (list.length === 0) {
    message = lockNotesMessage(changes) as string;
  } else {
    const compiled = compileCommitTemplate(settings.messageTemplate);
    message = renderCommitTemplate(compiled, {
      automation: { name: settings.automationName, namespace: settings.namespace },
      changes: list,
      values: settings.values ?? {},
    });
    if (message.trim() === '') {
      throw new CommitTemplateError({ phase: 'render', line: 1, column: 1, reason: 'rendered an empty commit message' });
    }
    if (notes.length > 0) message = `${message.trimEnd()}\n\nHolds and bad tags:\n${notes.map((l) => `- ${l}`).join('\n')}\n`;
  }
  if (settings.skipCi && !message.includes(CI_SKIP_MARKER)) message = `${message.trimEnd()}\n\n${CI_SKIP_MARKER}\n`;
  return message;
}
