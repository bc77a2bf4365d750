import * as path from 'node:path';
import { GitClient } from '../../git';
import type { CommitAuthor } from '../../../constructs/image-update-automation';
import type { TreeFile } from './head-files';

/** Identity and time of an automation commit. */
export interface CommitSignature {
  /** Author and committer (both, as Flux does). */
  readonly author: CommitAuthor;
  /** Milliseconds since the epoch. */
  readonly timeMs: number;
}

/**
 * Writes `files` (new text by path) as blobs, byte for byte (`hash-object --no-filters`: no
 * line-ending or filter conversion), and returns the tree of `base` with them replaced, built in
 * a private index file. Existing files keep their mode; new ones get `100644`.
 */
export async function writeTree(client: GitClient, gitDir: string, workDir: string, base: string, files: Readonly<Record<string, string>>, entries: ReadonlyMap<string, TreeFile>): Promise<string> {
  const env = { GIT_INDEX_FILE: path.join(workDir, 'index') };
  await client.local('commit', ['--git-dir', gitDir, 'read-tree', base], { env, ref: base });
  const lines: string[] = [];
  for (const [file, text] of Object.entries(files)) {
    const r = await client.local('commit', ['--git-dir', gitDir, 'hash-object', '-w', '--no-filters', '--stdin'], { input: Buffer.from(text, 'utf8'), ref: base });
    lines.push(`${entries.get(file)?.mode ?? '100644'} ${r.stdout.toString('utf8').trim()}\t${file}`);
  }
  await client.local('commit', ['--git-dir', gitDir, 'update-index', '-z', '--index-info'], { env, input: `${lines.join('\0')}\0`, ref: base });
  return (await client.local('commit', ['--git-dir', gitDir, 'write-tree'], { env, ref: base })).stdout.toString('utf8').trim();
}

/** The tree id of a commit. */
export async function treeOf(client: GitClient, gitDir: string, commit: string): Promise<string> {
  return (await client.local('read', ['--git-dir', gitDir, 'rev-parse', `${commit}^{tree}`], { ref: commit })).stdout.toString('utf8').trim();
}

/** Parent ids, author and committer of a commit (read from the object, which a shallow fetch has even when the parents are missing). */
export async function commitHeader(client: GitClient, gitDir: string, commit: string): Promise<{ parents: string[]; author: string; committer: string }> {
  const text = (await client.local('read', ['--git-dir', gitDir, 'cat-file', 'commit', commit], { ref: commit })).stdout.toString('utf8');
  const head = text.slice(0, text.indexOf('\n\n'));
  const parents: string[] = [];
  let author = '';
  let committer = '';
  for (const line of head.split('\n')) {
    if (line.startsWith('parent ')) parents.push(line.slice(7));
    else if (line.startsWith('author ')) author = line.slice(7).replace(/ \d+ [+-]\d{4}$/, '');
    else if (line.startsWith('committer ')) committer = line.slice(10).replace(/ \d+ [+-]\d{4}$/, '');
  }
  return { parents, author, committer };
}

/** `Name <email>` as git writes it in commit headers. */
export function signatureText(author: CommitAuthor): string {
  return `${author.name} <${author.email}>`;
}

/** Creates the commit object (no hooks, no signing, message verbatim with one final newline) and returns its id. */
export async function commitTree(client: GitClient, gitDir: string, tree: string, parent: string, message: string, sig: CommitSignature): Promise<string> {
  const date = `${Math.floor(sig.timeMs / 1000)} +0000`;
  const env = {
    GIT_AUTHOR_NAME: sig.author.name,
    GIT_AUTHOR_EMAIL: sig.author.email,
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_NAME: sig.author.name,
    GIT_COMMITTER_EMAIL: sig.author.email,
    GIT_COMMITTER_DATE: date,
  };
  const body = `${message.replace(/\s+$/, '')}\n`;
  const r = await client.local('commit', ['--git-dir', gitDir, 'commit-tree', tree, '-p', parent], { env, input: body, ref: parent });
  return r.stdout.toString('utf8').trim();
}
