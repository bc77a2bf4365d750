import * as fs from 'node:fs';
import * as path from 'node:path';
import type { z } from 'zod';

/** Root of the bad-input corpus (test/fixtures/bad/<kind>/). */
export const BAD_FIXTURES = path.resolve(__dirname, '../fixtures/bad');

/** One fixture of the corpus: its file name without extension, and its parsed description. */
export type BadFixture<T> = T & { readonly name: string; readonly file: string };

/**
 * Reads every `<name>.json` description of one kind, checked against `schema` (so a typo in a
 * fixture fails loudly instead of testing nothing), sorted by name.
 */
export function loadBadFixtures<T>(kind: string, schema: z.ZodType<T>): BadFixture<T>[] {
  const dir = path.join(BAD_FIXTURES, kind);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const file = path.join(dir, f);
      const parsed = schema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
      if (!parsed.success) throw new Error(`${file}: not a valid ${kind} fixture: ${parsed.error.message}`);
      return { ...parsed.data, name: f.replace(/\.json$/, ''), file };
    });
}

/** The bytes of a companion file of a fixture (`<kind>/<name>`). */
export function badFixtureBytes(kind: string, name: string): Buffer {
  return fs.readFileSync(path.join(BAD_FIXTURES, kind, name));
}
