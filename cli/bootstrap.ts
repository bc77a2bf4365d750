import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';

import { FluxOpsError } from '../errors';
import { collect, outputFormat, parseFleetEnv, printJson, UsageError } from './output';

interface BootstrapFlags {
  site: string;
  repo: string;
  branch: string;
  path: string;
  configDir: string;
  image: string;
  passphraseFile?: string;
  gitTokenFile?: string;
  webhookProvider?: string;
  webhookSecretFile?: string;
  interval: string;
  driftInterval: string;
  architecture: string[];
  kubeconfig?: string;
  context?: string;
  dryRun: boolean;
  output: string;
  fleetEnv: string[];
}

/** A bootstrap input file that cannot be used. */
export class BootstrapInputError extends FluxOpsError {
  override readonly name = 'BootstrapInputError';
  constructor(
    readonly flag: string,
    readonly reason: string,
  ) {
    super('bootstrap-input', `${flag}: ${reason}`);
  }
}

/** `fluxops bootstrap`: installs the reconciler into a site's cluster. */
export function registerBootstrapCommand(program: Command): void {
  program
    .command('bootstrap')
    .description("install the FluxOps reconciler into a site's cluster (ServiceAccount, least-privilege RBAC, state volume, arm64 Deployment)")
    .requiredOption('-s, --site <name>', 'edge site the reconciler keeps converged')
    .requiredOption('--repo <url>', 'config repository the reconciler follows')
    .option('--branch <name>', 'branch to follow', 'main')
    .option('--path <dir>', 'directory of fleet.ts inside the repository', '.')
    .option('-C, --config-dir <dir>', 'a checkout of the config repository (its site decides the RBAC)', '.')
    .requiredOption('--image <ref>', 'the reconciler image (multi-arch; see `npm run image`)')
    .option('--passphrase-file <file>', 'file with the Pulumi passphrase (required unless --dry-run)')
    .option('--git-token-file <file>', 'file with a token for an https config repository')
    .option('--webhook-provider <name>', 'push webhooks: github, gitlab, gitea or generic')
    .option('--webhook-secret-file <file>', 'file with the webhook secret')
    .option('--interval <duration>', 'how often to check the branch', '1m')
    .option('--drift-interval <duration>', 'how often to correct drift', '10m')
    .option('--architecture <arch>', 'node architecture to run on (repeatable)', collect, [])
    .option('--kubeconfig <path>', 'kubeconfig of the site (default: $KUBECONFIG, ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .option('--dry-run', 'print the manifests (validated by the server) and apply nothing', false)
    .option('--output <format>', '"text" or "json"', 'text')
    .option('--fleet-env <NAME=value>', 'a FLEET_* variable for the fleet code (repeatable)', collect, [])
    .action(async (o: BootstrapFlags) => {
      outputFormat(o.output);
      const { synthesizeIsolated } = await import('../reconciler/synth');
      const { KubeClient } = await import('../reconciler/cluster/kube-client');
      const { bootstrapObjects, RECONCILER } = await import('../reconciler/bootstrap/bootstrap-objects');
      const { managedRules } = await import('../reconciler/bootstrap/rbac');
      const { diffSite, rejectInvalid } = await import('../reconciler/deploy/diff-site');
      const { BOOKKEEPING_NAMESPACE } = await import('../stacks/site-stack');
      const architectures = (o.architecture.length ? o.architecture : ['arm64']).map((a) => {
        if (a !== 'arm64' && a !== 'amd64') throw new UsageError('--architecture', a, 'expected arm64 or amd64');
        return a;
      });
      if (o.webhookProvider && !['github', 'gitlab', 'gitea', 'generic'].includes(o.webhookProvider)) throw new UsageError('--webhook-provider', o.webhookProvider, 'expected github, gitlab, gitea or generic');
      if (!!o.webhookProvider !== !!o.webhookSecretFile) throw new UsageError('--webhook-secret-file', o.webhookSecretFile ?? '', 'give --webhook-provider and --webhook-secret-file together');
      const secrets: Record<string, string> = {};
      const readSecret = (flag: string, file: string | undefined, key: string) => {
        if (!file) return;
        try {
          const value = fs.readFileSync(path.resolve(file), 'utf8').replace(/\r?\n$/, '');
          if (!value) throw new BootstrapInputError(flag, 'the file is empty');
          secrets[key] = value;
        } catch (err) {
          if (err instanceof BootstrapInputError) throw err;
          throw new BootstrapInputError(flag, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
        }
      };
      readSecret('--passphrase-file', o.passphraseFile, 'pulumi-passphrase');
      readSecret('--git-token-file', o.gitTokenFile, 'git-token');
      readSecret('--webhook-secret-file', o.webhookSecretFile, 'webhook-secret');
      if (!o.dryRun && !secrets['pulumi-passphrase']) throw new BootstrapInputError('--passphrase-file', 'required: the reconciler decrypts the stack secrets with it');

      // What the site manages decides the reconciler's permissions.
      const configDir = path.resolve(o.configDir);
      const synth = await synthesizeIsolated({ configDir, site: o.site, lockMode: 'lenient', fleetEnv: parseFleetEnv(o.fleetEnv) });
      const site = synth.site(o.site);
      const stackFile = path.join(configDir, `Pulumi.${o.site}.yaml`);
      const hasSecrets = site.objects.some((x) => x.kind === 'Secret') || (fs.existsSync(stackFile) && /fluxops:secrets/.test(fs.readFileSync(stackFile, 'utf8')));
      const kube = await KubeClient.connect({ ...(o.kubeconfig ? { kubeconfig: path.resolve(o.kubeconfig) } : {}), ...(o.context ? { context: o.context } : {}) });
      try {
        const managed = await managedRules(kube, site.objects.map((x) => ({ apiVersion: x.apiVersion, kind: x.kind, manifest: x.manifest })), { secrets: hasSecrets });
        const objects = bootstrapObjects({
          site: o.site,
          image: o.image,
          repo: o.repo,
          branch: o.branch,
          path: o.path,
          interval: o.interval,
          driftInterval: o.driftInterval,
          managed,
          credentials: { gitToken: !!secrets['git-token'], ...(o.webhookProvider ? { webhook: { provider: o.webhookProvider } } : {}) },
          architectures: architectures as Array<'arm64' | 'amd64'>,
        });
        const manifests = objects.map((x) => x.manifest as never);
        // Validated by the server first: nothing is applied unless everything is accepted.
        const diff = await diffSite(kube, manifests);
        rejectInvalid(diff);
        if (o.dryRun) {
          if (o.output === 'json') printJson(objects.map((x) => x.manifest));
          else process.stdout.write(objects.map((x) => x.yaml).join('---\n'));
          return;
        }
        const results: Array<{ id: string; action: string }> = [];
        for (const [i, obj] of manifests.entries()) {
          await kube.apply(obj, { fieldManager: 'fluxops-bootstrap' });
          const d = diff.objects[i];
          results.push({ id: d.id, action: d.action === 'create' ? 'created' : d.action === 'update' ? 'configured' : 'unchanged' });
        }
        // Credentials go straight into a Secret: never into Git, a manifest or the output.
        await kube.apply(
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: RECONCILER.credentials, namespace: BOOKKEEPING_NAMESPACE, labels: { 'app.kubernetes.io/name': RECONCILER.name, 'app.kubernetes.io/part-of': 'fluxops' } },
            type: 'Opaque',
            data: Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
          },
          { fieldManager: 'fluxops-bootstrap' },
        );
        results.push({ id: `Secret/${BOOKKEEPING_NAMESPACE}/${RECONCILER.credentials}`, action: 'applied' });
        if (o.output === 'json') printJson({ site: o.site, objects: results });
        else {
          for (const r of results) console.log(`${r.id} ${r.action}`);
          console.log(`the reconciler of site ${o.site} follows ${o.repo} (${o.branch}); check it with: fluxops status --site ${o.site}`);
        }
      } finally {
        kube.close();
      }
    });
}
