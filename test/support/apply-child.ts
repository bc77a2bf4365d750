/**
 * A separate process that applies a site with the apply engine, so a test can SIGKILL it at any
 * moment. Input (JSON, argv[2]): { site, objects, kubeconfig, stateDir, passphrase, workDir }.
 * Prints `applied <pulumi mode>` when done.
 */
import * as fs from 'node:fs';

import { KubeClient } from '../../reconciler/cluster/kube-client';
import { applySite } from '../../reconciler/deploy/apply-site';
import { resolvePulumiSettings } from '../../stacks/pulumi-env';

async function main(): Promise<void> {
  const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as { site: string; objects: never[]; kubeconfig: string; stateDir: string; passphrase: string; workDir: string };
  const kube = await KubeClient.connect({ kubeconfig: input.kubeconfig });
  const settings = resolvePulumiSettings({ stateDir: input.stateDir, passphrase: { kind: 'value', passphrase: input.passphrase }, cli: 'toolchain', env: {} });
  const r = await applySite({ site: input.site, objects: input.objects, kube, kubeconfig: fs.readFileSync(input.kubeconfig, 'utf8'), settings, workDir: input.workDir, health: false });
  console.log(`applied ${r.pulumi}`);
  kube.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
