import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import pino from 'pino';
import { z } from 'zod';

import { ImageLockError } from '../../../constructs/lock';
import { startLocalCluster, type LocalCluster } from '../../../dev/cluster';
import { cloneWorkdir, createGitRemote, type FileChanges, type GitRemote, type GitWorkdir } from '../../../dev/git';
import { FluxOpsError } from '../../../errors';
import { KubeClient } from '../../../reconciler/cluster/kube-client';
import { DryRunRejectedError } from '../../../reconciler/deploy/diff-site';
import { readReconcileConfigFile, ReconcileConfigError, resolveReconcileConfig, type ReconcileConfig } from '../../../reconciler/loop/reconcile-config';
import { reconcileOnce } from '../../../reconciler/loop/run-reconciler';
import { gitSourceFactory } from '../../../reconciler/loop/source-factory';
import { StackSettingsError } from '../../../reconciler/loop/stack-settings-files';
import { readSiteStatus, statusName } from '../../../reconciler/status/site-status';
import { SynthesisError } from '../../../reconciler/synth';
import { resolvePulumiSettings, type PulumiSettings } from '../../../stacks/pulumi-env';
import { auditMark, writesSince, type AuditedWrite } from '../../support/api-writes';
import { BAD_FIXTURES, loadBadFixtures, type BadFixture } from '../../support/bad-fixtures';

/**
 * The bad-input corpus kinds that reach the reconcile loop (test/fixtures/bad/{fleet-files,
 * lock-files,construct-props,manifests,config}), each through ONE real reconcile against ONE
 * local cluster and ONE Git remote: the fixture is committed into the config repository (on top
 * of the good fleet and lock in loop-base/), `reconcileOnce` runs, and the test asserts
 *   - the run stalls on that commit with the typed error (instanceof + its fields) and the
 *     Stalled condition's reason;
 *   - zero API writes besides the site's own status record (its ConfigMap and a Warning Event in
 *     fluxops-system), read from the API server's audit log;
 *   - the remote's head is still the fixture commit and the lock file's bytes there are unchanged;
 *   - the app applied by the good baseline commit is untouched (same resourceVersion).
 * Reconciler settings files (config/settings-*) are refused before anything is contacted.
 */

const SITE = 'bad-site';
const NS = 'bad-apps';
const BASE = path.join(BAD_FIXTURES, 'loop-base');
const ERRORS: Record<string, abstract new (...args: never[]) => Error> = { SynthesisError, DryRunRejectedError, ImageLockError, StackSettingsError };

const loopFixture = z.strictObject({
  description: z.string().min(1),
  /** Repository path -> fixture file (in the kind's directory) committed over the good base. */
  files: z.record(z.string(), z.string()),
  expect: z.strictObject({
    error: z.enum(['SynthesisError', 'DryRunRejectedError', 'ImageLockError', 'StackSettingsError']),
    /** SynthesisError: how synthesis failed. */
    kind: z.string().optional(),
    /** The Stalled condition's reason. */
    reason: z.string(),
    /** The construct prop, lock field or manifest field named by the error. */
    field: z.string().optional(),
    /** DryRunRejectedError: the rejected object (`Kind/namespace/name`). */
    object: z.string().optional(),
  }),
});
type LoopFixture = BadFixture<z.infer<typeof loopFixture>> & { readonly kind: string };

const settingsFixture = z.strictObject({
  description: z.string().min(1),
  settings: z.string(),
  expect: z.strictObject({ error: z.literal('ReconcileConfigError'), code: z.literal('invalid-reconcile-config'), field: z.string() }),
});

const LOOP_KINDS = ['fleet-files', 'lock-files', 'construct-props', 'manifests', 'config'] as const;
/** config/ holds both shapes: committed Pulumi settings (`files`) and reconciler settings files (`settings`). */
const isSettings = (data: unknown): boolean => typeof data === 'object' && data !== null && 'settings' in data;
const loopFixtures: LoopFixture[] = LOOP_KINDS.flatMap((kind) =>
  loadBadFixtures(kind, z.record(z.string(), z.unknown()))
    .filter((f) => !isSettings(f))
    .map(({ name, file, ...data }) => ({ ...loopFixture.parse(data), name, file, kind })),
);
const settingsFixtures = loadBadFixtures('config', z.record(z.string(), z.unknown()))
  .filter((f) => isSettings(f))
  .map(({ name, file, ...data }) => ({ ...settingsFixture.parse(data), name, file }));

/** Writes of a stalled run that are the reconciler's own record of it, not an application. */
function isStatusRecord(w: AuditedWrite): boolean {
  return (
    w.uri.startsWith(`/api/v1/namespaces/fluxops-system/configmaps/${statusName(SITE)}`) ||
    (w.verb === 'create' && /^\/api\/v1\/namespaces\/fluxops-system\/configmaps(\?|$)/.test(w.uri)) ||
    /^\/(api\/v1|apis\/events\.k8s\.io\/v1)\/namespaces\/fluxops-system\/events/.test(w.uri)
  );
}

function gitShow(remote: GitRemote, rev: string): Buffer {
  return execFileSync('git', ['--git-dir', remote.dir, 'show', rev], { maxBuffer: 64 * 1024 * 1024 });
}

function remoteHead(remote: GitRemote): string {
  return execFileSync('git', ['--git-dir', remote.dir, 'rev-parse', 'refs/heads/main'], { encoding: 'utf8' }).trim();
}

describe('bad inputs through the reconcile loop (one cluster, one Git remote)', () => {
  let cluster: LocalCluster | undefined;
  let remote: GitRemote | undefined;
  let work: GitWorkdir;
  let kube: KubeClient | undefined;
  let dir: string;
  let settings: PulumiSettings;
  let config: ReconcileConfig;
  let committed = new Set<string>();
  const logs: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });

  const baseFiles = (): Record<string, string> => ({
    'fleet.ts': fs.readFileSync(path.join(BASE, 'fleet.ts'), 'utf8'),
    'fluxops.lock.yaml': fs.readFileSync(path.join(BASE, 'fluxops.lock.yaml'), 'utf8'),
  });

  /** Commits the base plus `overrides` (and removes files an earlier fixture added), pushes, returns the commit. */
  const commitFiles = async (message: string, overrides: Record<string, Buffer | string>): Promise<string> => {
    const files: Record<string, string | Buffer | null> = { ...baseFiles(), ...overrides };
    for (const p of committed) if (!(p in files)) files[p] = null;
    committed = new Set(Object.keys(files).filter((p) => files[p] !== null));
    const sha = await work.commit(message, files as FileChanges);
    await work.push();
    return sha;
  };

  const webVersion = async (): Promise<unknown> => (await kube?.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'web' }))?.metadata.resourceVersion;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-bad-inputs-'));
    [cluster, remote] = await Promise.all([startLocalCluster({ auditLog: true }), createGitRemote({ dir: path.join(dir, 'remote.git') })]);
    kube = await KubeClient.connect({ kubeconfig: cluster.kubeconfigPath });
    work = await cloneWorkdir(remote.url, { dir: path.join(dir, 'work') });
    settings = resolvePulumiSettings({ stateDir: path.join(dir, 'state'), passphrase: { kind: 'value', passphrase: 'bad inputs passphrase' }, cli: 'toolchain', env: {} });
    config = resolveReconcileConfig([
      {
        source: 'test',
        values: { site: SITE, repository: { url: remote.url, branch: 'main' }, kubeconfig: cluster.kubeconfigPath, stateDir: settings.stateDir, healthTimeout: '90s', images: { enabled: false } },
      },
    ]);
    // The good baseline: applied, so every bad commit after it has something to leave alone.
    const good = await commitFiles('good base fleet', {});
    const out = await reconcileOnce({ config, sourceFactory: gitSourceFactory, logger, settings });
    if (out.result !== 'applied') throw new Error(`baseline did not apply (${out.result}): ${out.error?.message}\n${logs.slice(-10).join('')}`);
    expect(out.commit).toBe(good);
  }, 600_000);

  afterAll(async () => {
    kube?.close();
    await Promise.allSettled([cluster?.stop(), remote?.stop()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('has at least 40 loop fixtures across the kinds', () => {
    expect(loopFixtures.length).toBeGreaterThanOrEqual(40);
    expect(new Set(loopFixtures.map((f) => f.kind))).toEqual(new Set(LOOP_KINDS));
  });

  it.each(loopFixtures.map((f) => [`${f.kind}/${f.name}`, f] as const))(
    '%s',
    async (_name, f) => {
      if (!cluster || !remote || !kube) throw new Error('cluster or remote not started');
      const overrides: Record<string, Buffer> = {};
      for (const [repoPath, fixtureFile] of Object.entries(f.files)) overrides[repoPath] = fs.readFileSync(path.join(BAD_FIXTURES, f.kind, fixtureFile));
      const sha = await commitFiles(`bad input: ${f.kind}/${f.name}`, overrides);
      const lockBefore = gitShow(remote, `${sha}:fluxops.lock.yaml`);
      const webBefore = await webVersion();
      expect(webBefore).toBeDefined();
      const mark = auditMark(cluster.auditLogPath!);

      const out = await reconcileOnce({ config, sourceFactory: gitSourceFactory, logger, settings });

      // The typed error, with its fields.
      expect({ result: out.result, commit: out.commit, error: out.error?.name }).toEqual({ result: 'stalled', commit: sha, error: f.expect.error });
      expect(out.error).toBeInstanceOf(ERRORS[f.expect.error]);
      expect(out.error).toBeInstanceOf(FluxOpsError);
      if (out.error instanceof SynthesisError) {
        expect(out.error.kind).toBe(f.expect.kind);
        expect(out.error.source.commit).toBe(sha);
        if (f.expect.field) expect(out.error.problems.map((p) => p.field)).toContain(f.expect.field);
      }
      if (out.error instanceof DryRunRejectedError) {
        expect(out.error.rejected.map((o) => o.id)).toContain(f.expect.object);
        if (f.expect.field) expect(out.error.message).toContain(f.expect.field);
      }
      if (out.error instanceof ImageLockError && f.expect.field) expect(out.error.field).toBe(f.expect.field);
      if (out.error instanceof StackSettingsError) expect({ file: out.error.file, field: out.error.field }).toEqual({ file: Object.keys(f.files)[0], field: f.expect.field });

      // The status says Stalled on this commit, for this reason.
      const status = (await readSiteStatus(kube, SITE)).status;
      expect(status.lastAttemptedCommit).toBe(sha);
      expect(status.conditions.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: f.expect.reason });

      // Nothing applied: only the status record was written.
      const writes = writesSince(cluster.auditLogPath!, mark);
      expect(writes.filter((w) => !isStatusRecord(w))).toEqual([]);
      expect(await webVersion()).toBe(webBefore);

      // Git untouched: the remote's head is the fixture commit, the lock bytes are the committed ones.
      expect(remoteHead(remote)).toBe(sha);
      expect(gitShow(remote, `refs/heads/main:fluxops.lock.yaml`).equals(lockBefore)).toBe(true);
      expect(fs.readFileSync(path.join(work.dir, 'fluxops.lock.yaml')).equals(lockBefore)).toBe(true);
    },
    240_000,
  );

  it.each(settingsFixtures.map((f) => [f.name, f] as const))('config/%s (reconciler settings)', async (_name, f) => {
    if (!cluster || !remote) throw new Error('cluster or remote not started');
    const file = path.join(dir, `${f.name}.yaml`);
    fs.writeFileSync(file, fs.readFileSync(path.join(BAD_FIXTURES, 'config', f.settings), 'utf8').replace('REMOTE', remote.url));
    const headBefore = remoteHead(remote);
    const mark = auditMark(cluster.auditLogPath!);
    let error: unknown;
    try {
      const fromFile = readReconcileConfigFile(file);
      const cfg = resolveReconcileConfig([
        { source: 'test', values: { site: SITE, repository: { url: remote.url }, kubeconfig: cluster.kubeconfigPath, stateDir: settings.stateDir, images: { enabled: false } } },
        { source: file, values: fromFile as Record<string, unknown> },
      ]);
      await reconcileOnce({ config: cfg, sourceFactory: gitSourceFactory, logger, settings });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ReconcileConfigError);
    const e = error as ReconcileConfigError;
    expect({ code: e.code, source: e.source, field: e.field }).toEqual({ code: f.expect.code, source: file, field: f.expect.field });
    expect(e.message.startsWith(`${file}: ${f.expect.field}: `)).toBe(true);
    expect(writesSince(cluster.auditLogPath!, mark)).toEqual([]);
    expect(remoteHead(remote)).toBe(headBefore);
  });
});
