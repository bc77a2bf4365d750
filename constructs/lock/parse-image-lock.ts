import { LineCounter, isAlias, parseDocument, visit } from 'yaml';
import { z } from 'zod';
import { ImageLock } from './image-lock';
import { ImageLockError } from './image-lock-error';
import { imageLockSchema } from './image-lock-schema';

/**
 * Parses a lock file. Bad YAML, unknown or malformed fields and unsupported schema versions
 * throw an {@link ImageLockError} naming `sourceName` and the field (or line and column).
 */
export function parseImageLock(text: string, sourceName: string): ImageLock {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { version: '1.2', uniqueKeys: true, lineCounter });
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const pos = err.linePos?.[0];
    throw new ImageLockError({
      source: sourceName,
      reason: `invalid YAML: ${err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`,
      ...(pos ? { line: pos.line, column: pos.col } : {}),
      cause: err,
    });
  }
  // Aliases would let one edit change several entries; the lock never needs them.
  let alias: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      if (isAlias(node)) alias ??= node.range?.[0];
      return visit.BREAK;
    },
  });
  if (alias !== undefined) {
    const pos = lineCounter.linePos(alias);
    throw new ImageLockError({ source: sourceName, reason: 'YAML aliases (*name) are not allowed in a lock file; write each entry out', line: pos.line, column: pos.col });
  }
  const data: unknown = doc.toJS({ maxAliasCount: 0 });
  if (data === null || data === undefined) {
    throw new ImageLockError({ source: sourceName, field: 'schemaVersion', reason: 'is required (the file is empty)' });
  }
  return validateImageLock(data, sourceName);
}

/** Checks already-parsed data against the lock schema; see {@link parseImageLock}. */
export function validateImageLock(data: unknown, sourceName: string): ImageLock {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ImageLockError({ source: sourceName, reason: 'must be a YAML mapping with schemaVersion, policies and sites' });
  }
  const result = imageLockSchema.safeParse(data);
  if (result.success) return result.data;
  throw toLockError(result.error.issues[0], sourceName, result.error);
}

function toLockError(issue: z.core.$ZodIssue, sourceName: string, cause: unknown): ImageLockError {
  const base = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    return new ImageLockError({ source: sourceName, field: [...base, key].join('.'), reason: 'is not a known field', cause });
  }
  if (issue.code === 'invalid_key') {
    const inner = issue.issues[0]?.message ?? 'is not a valid key';
    return new ImageLockError({ source: sourceName, field: base.join('.'), reason: `is not a valid key: ${inner}`, cause });
  }
  return new ImageLockError({ source: sourceName, field: base.join('.') || '(document)', reason: issue.message, cause });
}
