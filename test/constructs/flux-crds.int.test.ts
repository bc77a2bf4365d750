import * as path from 'node:path';

import { startLocalCluster, type LocalCluster } from '../../dev/cluster';
import { CLUSTER_BINARIES, locateToolchain } from '../../dev/toolchain';
import { FLUX_API } from '../../constructs';
import { synthesizeIsolated, type SiteSynthData } from '../../reconciler/synth';
import { FIELD_MANAGER, Json, KubectlError, applyNamespaces, lostFields, serverDryRun, toYaml } from './server-dry-run';

const EXAMPLE_DIR = path.resolve(__dirname, '../../examples/edge-fleet');
const SITES = ['factory-a', 'warehouse-b'] as const;
const FLUX_KINDS: readonly string[] = Object.values(FLUX_API).map((a) => a.kind);

/** One isolated synthesis of every site (memoized: a child process per call is slow for 5 s test timeouts). */
let synthesized: Promise<Awaited<ReturnType<typeof synthesizeIsolated>>> | undefined;
async function fluxSynth(site: string): Promise<SiteSynthData> {
  synthesized ??= synthesizeIsolated({ configDir: EXAMPLE_DIR, allSites: true, flavor: 'flux', lockMode: 'strict' });
  return (await synthesized).site(site);
}

function fluxObject(result: SiteSynthData, kind: string, name: string): Json {
  const obj = result.objects.find((o) => o.kind === kind && o.name === name);
  if (!obj) throw new Error(`no ${kind}/${name} in the ${result.site} synthesis`);
  return structuredClone(obj.manifest) as Json;
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof KubectlError) return err.stderr;
    throw err;
  }
  throw new Error('the API server accepted the object');
}

/**
 * The flux flavor against the real Flux CRDs (toolchain step `flux_crds`, pinned in
 * toolchain/flux-versions.env): installed into a fresh local cluster, then every synthesized
 * object goes through a server-side dry run, so the OpenAPI schemas, enums, CEL rules and strict
 * field validation of the CRDs all apply.
 */
describe('flux flavor against the real Flux CRDs (server-side dry run)', () => {
  const toolchain = locateToolchain({ need: CLUSTER_BINARIES, fluxCrds: true });
  let cluster: LocalCluster;

  beforeAll(async () => {
    await fluxSynth('factory-a');
    cluster = await startLocalCluster({ toolchain });
    await cluster.kubectl(['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', toolchain.fluxCrdsDir]);
    await cluster.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
    // The Flux installation owns its namespace; synthesis never emits it.
    await cluster.kubectl(['create', 'namespace', 'flux-system']);
  }, 240_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  test('the installed CRDs serve every Flux apiVersion the flavor emits', async () => {
    const crds = JSON.parse(await cluster.kubectl(['get', 'crd', '-o', 'json'])).items as Json[];
    for (const { apiVersion, kind } of Object.values(FLUX_API)) {
      const [group, version] = apiVersion.split('/');
      const crd = crds.find((c) => c.spec.group === group && c.spec.names.kind === kind);
      expect(crd).toBeDefined();
      expect(crd!.spec.versions.filter((v: Json) => v.served).map((v: Json) => v.name)).toContain(version);
      expect(crd!.status.conditions).toContainEqual(expect.objectContaining({ type: 'Established', status: 'True' }));
    }
  });

  test.each(SITES)('%s: the whole flux synthesis passes a server-side dry run, field for field', async (site) => {
    const result = await fluxSynth(site);
    expect(new Set(result.objects.map((o) => o.kind).filter((k) => FLUX_KINDS.includes(k)))).toEqual(new Set(FLUX_KINDS));
    await applyNamespaces(cluster, result);
    const stored = await serverDryRun(cluster, result.yaml);
    expect(stored.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual(
      result.objects.map((o) => `${o.apiVersion} ${o.kind} ${o.namespace ?? ''}/${o.name}`),
    );
    // Nothing was pruned as unknown or rewritten: the server kept every field we render.
    const lost = result.objects.flatMap((o, i) => lostFields(o.manifest, stored[i]).map((p) => `${o.kind}/${o.name} ${p}`));
    expect(lost).toEqual([]);
  });

  test('the CRD defaults apply, which happens only when the schema really is in effect', async () => {
    const stored = await serverDryRun(cluster, (await fluxSynth('warehouse-b')).yaml);
    const find = (kind: string, name: string): Json => stored.find((o) => o.kind === kind && o.metadata.name === name)!;
    // Fields FluxOps does not render, filled in from the CRDs' `default:`s.
    expect(find('GitRepository', 'fleet-config').spec.timeout).toBe('60s');
    expect(find('Kustomization', 'warehouse-b').spec.force).toBe(false);
    expect(find('ImageRepository', 'sensor-gateway').spec.provider).toBe('generic');
    expect(find('ImageRepository', 'sensor-gateway').spec.exclusionList).toEqual(['^.*\\.sig$']);
    // What FluxOps renders is kept: the hold's exact-match filter and digest reflection.
    expect(find('ImagePolicy', 'mqtt-broker').spec.filterTags).toEqual({ pattern: '^2\\.0\\.18$' });
    expect(find('ImagePolicy', 'mqtt-broker').spec.digestReflectionPolicy).toBe('Always');
  });

  test('an invalid enum value in an ImagePolicy is rejected, naming the field', async () => {
    const policy = fluxObject(await fluxSynth('factory-a'), 'ImagePolicy', 'dashboard');
    expect(policy.spec.policy).toEqual({ numerical: { order: 'asc' } });
    policy.spec.policy.numerical.order = 'newest';
    const stderr = await rejection(serverDryRun(cluster, toYaml(policy)));
    expect(stderr).toMatch(/spec\.policy\.numerical\.order: Unsupported value: "newest": supported values: "asc", "desc"/);
  });

  test('an unknown field is rejected (strict field validation), naming the field', async () => {
    const policy = fluxObject(await fluxSynth('factory-a'), 'ImagePolicy', 'sensor-gateway');
    policy.spec.digestPolicy = 'Always';
    const stderr = await rejection(serverDryRun(cluster, toYaml(policy)));
    expect(stderr).toMatch(/\.spec\.digestPolicy: field not declared in schema/);
  });

  test("the CRDs' CEL rules run: an interval without digest reflection is rejected", async () => {
    const policy = fluxObject(await fluxSynth('factory-a'), 'ImagePolicy', 'sensor-gateway');
    expect(policy.spec.interval).toBe('5m');
    delete policy.spec.digestReflectionPolicy;
    const stderr = await rejection(serverDryRun(cluster, toYaml(policy)));
    expect(stderr).toMatch(/spec\.interval is only accepted when spec\.digestReflectionPolicy is set to 'Always'/);
  });

  test('a malformed interval on an ImageRepository is rejected by the CRD pattern', async () => {
    const repo = fluxObject(await fluxSynth('factory-a'), 'ImageRepository', 'dashboard');
    repo.spec.interval = '5 minutes';
    const stderr = await rejection(serverDryRun(cluster, toYaml(repo)));
    expect(stderr).toMatch(/spec\.interval: Invalid value: "5 minutes": spec\.interval in body should match/);
  });

  test('image.toolkit.fluxcd.io/v1beta2 is no longer served, which is why the flavor emits v1', async () => {
    const policy = fluxObject(await fluxSynth('factory-a'), 'ImagePolicy', 'dashboard');
    policy.apiVersion = 'image.toolkit.fluxcd.io/v1beta2';
    const stderr = await rejection(serverDryRun(cluster, toYaml(policy)));
    expect(stderr).toMatch(/no matches for kind "ImagePolicy" in version "image\.toolkit\.fluxcd\.io\/v1beta2"/);
  });
});
