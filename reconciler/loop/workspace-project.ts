import { parseDocument } from 'yaml';

/**
 * A config repository's `Pulumi.yaml` for the reconciler's workspace, without `main`. The file
 * `fluxops init` writes points `main` at `node_modules/fluxops/stacks/program.ts` (for a plain
 * `pulumi up` after `npm install`); the reconciler runs an inline program and its checkout has no
 * `node_modules`, and the Pulumi CLI refuses a project whose `main` does not exist. Text that is not
 * valid YAML is passed on unchanged, so Pulumi reports the problem in its own words.
 */
export function withoutProgramPath(projectYaml: string): string {
  const doc = parseDocument(projectYaml);
  if (doc.errors.length > 0 || !doc.has('main')) return projectYaml;
  doc.delete('main');
  return doc.toString();
}
