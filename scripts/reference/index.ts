/**
 * The generated reference pages (`docs/reference/*.md`): what they are rendered from and where
 * they live. `npm run docs` writes them (scripts/gen-reference.ts); the unit test
 * test/scripts/gen-reference.test.ts renders them in memory and fails when the committed files
 * differ, so the pages cannot drift from the code.
 */
import * as path from 'node:path';

import { buildProgram } from '../../cli/main';

import { renderCliReference } from './cli-reference';
import { renderConstructsReference } from './constructs-reference';

export { renderCliReference } from './cli-reference';
export { DOCUMENTED_CONSTRUCTS, renderConstructsReference, type ConstructsReferenceOptions } from './constructs-reference';
export { escapeCell, GENERATED_NOTICE } from './markdown';

/** One generated page: its path relative to the repository root and its full content. */
export interface ReferencePage {
  readonly file: string;
  readonly content: string;
}

/** Every generated reference page of the checkout at `root`, rendered in memory (writes nothing). */
export function renderReferencePages(root: string): ReferencePage[] {
  return [
    { file: path.join('docs', 'reference', 'cli.md'), content: renderCliReference(buildProgram()) },
    { file: path.join('docs', 'reference', 'constructs.md'), content: renderConstructsReference({ root }) },
  ];
}
