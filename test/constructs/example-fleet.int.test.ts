import * as path from 'node:path';

import { startLocalCluster, type LocalCluster } from '../../dev/cluster';
import { CLUSTER_BINARIES, locateToolchain } from '../../dev/toolchain';
import { synthesizeIsolated, type SiteSynthData } from '../../reconciler/synth';
import { KubectlError, applyNamespaces, lostFields, serverDryRun } from './server-dry-run';

const EXAMPLE_DIR = path.resolve(__dirname, '../../examples/edge-fleet');
const SITES = ['factory-a', 'warehouse-b'] as const;

/** The example's synthesis through the one path deploys use (isolated child, strict lock). */
/** One isolated synthesis of every site (memoized: a child process per call is slow for 5 s test timeouts). */
let synthesized: Promise<Awaited<ReturnType<typeof synthesizeIsolated>>> | undefined;
async function plainSynth(site: string): Promise<SiteSynthData> {
  synthesized ??= synthesizeIsolated({ configDir: EXAMPLE_DIR, allSites: true, lockMode: 'strict' });
  return (await synthesized).site(site);
}

const id = (o: { apiVersion: string; kind: string; namespace?: string; name: string }): string =>
  `${o.apiVersion} ${o.kind} ${o.namespace ?? ''}/${o.name}`;

/**
 * The example fleet's plain synthesis (what the reconciler and the Pulumi stacks apply) is
 * accepted by the real API server of the local edge cluster: admission, built-in schemas with
 * strict field validation and defaulting, for each site.
 */
describe('examples/edge-fleet on the local edge cluster (server-side dry run)', () => {
  const toolchain = locateToolchain({ need: CLUSTER_BINARIES });
  let cluster: LocalCluster;

  beforeAll(async () => {
    await plainSynth('factory-a');
    cluster = await startLocalCluster({ toolchain });
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  test('a dry run alone is not enough: its Namespace is not persisted, so the namespaced objects fail', async () => {
    const result = await plainSynth('factory-a');
    expect(result.objects[0]).toMatchObject({ kind: 'Namespace', name: 'edge-apps' });
    let error: unknown;
    await serverDryRun(cluster, result.yaml).catch((e: unknown) => (error = e));
    expect(error).toBeInstanceOf(KubectlError);
    expect((error as KubectlError).stderr).toMatch(/namespaces "edge-apps" not found/);
  });

  test.each(SITES)('%s: every object passes, and the server keeps every field we render', async (site) => {
    const result = await plainSynth(site);
    expect(await applyNamespaces(cluster, result)).toEqual(['edge-apps']);
    const stored = await serverDryRun(cluster, result.yaml);
    expect(stored.map((o) => id({ apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name }))).toEqual(
      result.objects.map(id),
    );
    const lost = result.objects.flatMap((o, i) => lostFields(o.manifest, stored[i]).map((p) => `${id(o)} ${p}`));
    expect(lost).toEqual([]);
  });

  test('factory-a: the server accepts the arm64 placement and the site-specific ingress host', async () => {
    const stored = await serverDryRun(cluster, (await plainSynth('factory-a')).yaml);
    const gateway = stored.find((o) => o.kind === 'Deployment' && o.metadata.name === 'sensor-gateway')!;
    expect(gateway.spec.replicas).toBe(2);
    expect(gateway.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toContainEqual({
      matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] }],
    });
    const ingress = stored.find((o) => o.kind === 'Ingress' && o.metadata.name === 'dashboard')!;
    expect(ingress.spec.rules[0].host).toBe('dashboard.factory-a.edge.example.com');
  });
});
