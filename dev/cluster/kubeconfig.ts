import * as fs from 'node:fs';
import { stringify } from 'yaml';

/** What a kubeconfig for the local cluster contains. */
export interface KubeconfigSpec {
  readonly contextName: string;
  readonly server: string;
  readonly caPem: string;
  readonly token: string;
}

/** Renders a single-context kubeconfig. */
export function renderKubeconfig(spec: KubeconfigSpec): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: spec.contextName, cluster: { server: spec.server, 'certificate-authority-data': Buffer.from(spec.caPem).toString('base64') } }],
    users: [{ name: `${spec.contextName}-admin`, user: { token: spec.token } }],
    contexts: [{ name: spec.contextName, context: { cluster: spec.contextName, user: `${spec.contextName}-admin` } }],
    'current-context': spec.contextName,
    preferences: {},
  });
}

/** Writes the kubeconfig readable only by its owner (it holds an admin token). */
export function writeKubeconfig(file: string, spec: KubeconfigSpec): void {
  fs.writeFileSync(file, renderKubeconfig(spec), { mode: 0o600 });
}
