import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO = path.join(__dirname, '..', '..');

/**
 * Lays out a Pulumi project directory that runs this checkout's program (`Pulumi.yaml` copied,
 * `stacks/`, `node_modules` and `tsconfig.json` linked), so stack files and local state that a
 * test creates land in `dir`, never in the checkout.
 */
export function linkPulumiProject(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(REPO, 'Pulumi.yaml'), path.join(dir, 'Pulumi.yaml'));
  for (const link of ['stacks', 'node_modules', 'tsconfig.json']) fs.symlinkSync(path.join(REPO, link), path.join(dir, link));
  return dir;
}
