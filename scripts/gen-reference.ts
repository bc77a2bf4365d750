/**
 * `npm run docs`: regenerates docs/reference/cli.md (from the commander program) and
 * docs/reference/constructs.md (from the constructs' props, read with the TypeScript compiler).
 * Prints one line per page saying whether it changed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { renderReferencePages } from './reference';

const root = path.resolve(__dirname, '..');
for (const page of renderReferencePages(root)) {
  const target = path.join(root, page.file);
  const before = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined;
  if (before === page.content) {
    console.log(`${page.file}: up to date`);
    continue;
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  // Write-then-rename: a reader (or a concurrent test) never sees half a page.
  const tmp = `${target}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, page.content);
  fs.renameSync(tmp, target);
  console.log(`${page.file}: ${before === undefined ? 'written' : 'updated'}`);
}
