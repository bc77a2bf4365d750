import * as path from 'node:path';

import { lockNoteLines } from '../reconciler/images/lock';
import type { ImageListing, ImagesLockEditResult } from './images-lock';

/** The text output of an edit: what changed (or why nothing did), the commit or push, then notes. */
export function renderEdit(r: ImagesLockEditResult): string {
  const lines: string[] = [];
  if (!r.changed) lines.push(`nothing to change: ${path.basename(r.lockFile)} already is as asked${r.push ? ` on ${r.push.remote}/${r.push.branch}` : ''}`);
  else for (const l of lockNoteLines(r)) lines.push(l);
  if (r.commit) lines.push(`committed ${r.commit.slice(0, 12)}: ${(r.message ?? '').split('\n')[0]}`);
  else if (r.push?.commit) {
    lines.push(`pushed ${r.push.commit.slice(0, 12)} to ${r.push.remote}/${r.push.branch}: ${(r.message ?? '').split('\n')[0]}`);
    lines.push(r.push.localUpdated ? 'the checkout was fast-forwarded to it' : `the checkout was not updated: run git pull ${r.push.remote} ${r.push.branch}`);
  } else if (r.changed) lines.push(`edited ${r.lockFile} (not committed)`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  return `${lines.join('\n')}\n`;
}

/** The text output of `images list`: one block per policy. */
export function renderListing(l: ImageListing): string {
  const short = (digest: string) => digest.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]*$/, '$1');
  const entry = (e: { tag: string; digest: string; platforms?: readonly string[]; updatedAt: string }) =>
    `${e.tag}@${short(e.digest)}  ${e.platforms?.join(',') || 'platforms not recorded'}  ${e.updatedAt}`;
  const hold = (h: { tag: string; reason: string; source?: string; since?: string }) => `${h.tag} (${h.source === 'lock' ? `lock, since ${h.since}` : 'fleet code'}): ${h.reason}`;
  const out: string[] = [];
  if (!l.found) out.push(`${l.lockFile} does not exist yet: every policy runs its initialTag`);
  for (const p of l.policies) {
    out.push(`${p.policy}  ${p.repository}  ${p.rule}  [${p.platforms.join(',')}]`);
    out.push(`  locked      ${p.locked ? entry(p.locked) : '-'}`);
    for (const [site, e] of Object.entries(p.siteLocked)) out.push(`  locked      ${entry(e)}  (site ${site})`);
    out.push(`  hold        ${p.hold ? hold(p.hold) : '-'}`);
    for (const [site, h] of Object.entries(p.siteHolds)) out.push(`  hold        ${hold(h)}  (site ${site})`);
    if (p.badTags.length === 0) out.push('  bad tags    -');
    for (const b of p.badTags) out.push(`  bad tag     ${b.tag} (since ${b.since}): ${b.reason}`);
  }
  for (const p of l.problems) out.push(`warning: ${p.message}`);
  return `${out.join('\n')}\n`;
}

