import * as fs from 'node:fs';
import * as path from 'node:path';

import { TemplateError } from './errors';

/** Where the templates of `fluxops init` live: `templates/` at the top of FluxOps. */
export const TEMPLATES_DIR = path.join(__dirname, '..', '..', 'templates');

/** A placeholder: `@@name@@` (the syntax occurs in no YAML, TypeScript, shell or GitHub expression). */
const PLACEHOLDER = /@@([A-Za-z][A-Za-z0-9]*)@@/g;

/** Values for the placeholders of a template, by name. */
export type TemplateValues = Readonly<Record<string, string>>;

/** Reads a template (path relative to {@link TEMPLATES_DIR}). */
export function readTemplate(name: string, root: string = TEMPLATES_DIR): string {
  try {
    return fs.readFileSync(path.join(root, name), 'utf8');
  } catch (err) {
    throw new TemplateError(name, `cannot be read (${(err as Error).message}); is this FluxOps installation complete?`, { cause: err });
  }
}

/**
 * Replaces every `@@name@@` in `text` with its value, in one pass (a value is never expanded
 * again). A placeholder without a value is an error, never an empty string; so is a leftover
 * `@@` that does not form a placeholder, because it means a typo in the template.
 */
export function renderTemplate(text: string, values: TemplateValues, name: string): string {
  const missing = new Set<string>();
  const out = text.replace(PLACEHOLDER, (_m, key: string) => {
    const v = Object.prototype.hasOwnProperty.call(values, key) ? values[key] : undefined;
    if (v === undefined) {
      missing.add(key);
      return '';
    }
    return v;
  });
  if (missing.size > 0) throw new TemplateError(name, `no value for ${[...missing].map((k) => `@@${k}@@`).join(', ')}`);
  // Blank out the placeholders (same length) so that the offset of a stray "@@" is the template's own.
  const stray = text.replace(PLACEHOLDER, (m) => ' '.repeat(m.length)).indexOf('@@');
  if (stray >= 0) throw new TemplateError(name, `line ${text.slice(0, stray).split('\n').length}: "@@" that is not a placeholder (@@name@@)`);
  return out;
}

/** The placeholder names a template uses, in order of first use (for tests and tooling). */
export function templatePlaceholders(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]))];
}
