import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { getImageConfig, getManifest, startRegistry, type LocalRegistry } from '../../dev/registry';
import { buildImage, pushImage, readImagePins, type BuiltImage } from '../../image';
import { IMAGE_CMD, IMAGE_ENTRYPOINT } from '../../image/build-image';

/**
 * The reconciler image end to end: built from the cache (offline: the cross-compiled Pulumi
 * binaries, Node and the Debian packages were prepared by scripts/setup.sh, so no compiler or
 * network runs here), checked with skopeo, rebuilt for the same digest, pushed to a real registry
 * on 127.0.0.1, and its root file systems run: arm64 under qemu-user, amd64 natively in a chroot.
 */

const REPO = path.join(__dirname, '..', '..');
const PKG_VERSION = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const TAG = 'it-test';
const QEMU = ['qemu-aarch64-static', 'qemu-aarch64'].find((q) => spawnSync('sh', ['-c', `command -v ${q}`]).status === 0);
const IS_ROOT = process.getuid?.() === 0;
/** chroot from this machine's PATH (the commands run with the image's environment, whose PATH has no sbin). */
const CHROOT = spawnSync('sh', ['-c', 'command -v chroot'], { encoding: 'utf8' }).stdout.trim() || '/usr/sbin/chroot';

function sha256File(file: string): string {
  return `sha256:${createHash('sha256').update(fs.readFileSync(file)).digest('hex')}`;
}

function skopeoJson(args: string[]): Record<string, unknown> {
  return JSON.parse(execFileSync('skopeo', args, { encoding: 'utf8', maxBuffer: 64 << 20 })) as Record<string, unknown>;
}

/** Unpacks one platform's layers, in order, with GNU tar (an independent reader of what the builder wrote). */
function extractRootfs(image: BuiltImage, platform: string, dest: string): void {
  const p = image.platforms.find((x) => x.platform === platform);
  if (!p) throw new Error(`no ${platform} in the image`);
  fs.mkdirSync(dest, { recursive: true });
  for (const layer of p.layers) {
    execFileSync('tar', ['-xzf', path.join(image.layoutDir, 'blobs', 'sha256', layer.descriptor.digest.slice(7)), '-C', dest, '--numeric-owner']);
  }
}

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 240_000, env: env ?? process.env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Runs of the image's binaries under emulation and the CLI builds take longer than jest's default.
jest.setTimeout(300_000);

describe('fluxops image build', () => {
  let tmp: string;
  let first: BuiltImage;
  let second: BuiltImage;
  let registry: LocalRegistry | undefined;
  const pins = readImagePins();

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-image-'));
    const layerCacheDir = path.join(tmp, 'layer-cache');
    // A fresh layer cache: the first build compresses every layer; the second reuses them.
    first = await buildImage({ outDir: path.join(tmp, 'a'), tag: TAG, offline: true, layerCacheDir });
    second = await buildImage({ outDir: path.join(tmp, 'b'), tag: TAG, offline: true, layerCacheDir });
    registry = await startRegistry();
  }, 1_200_000);

  afterAll(async () => {
    await registry?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('is a valid OCI layout with one index for linux/arm64 and linux/amd64', () => {
    const index = skopeoJson(['inspect', '--raw', `oci:${first.layoutDir}:${TAG}`]) as { mediaType: string; manifests: { digest: string; platform: object }[]; annotations: Record<string, string> };
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(index.manifests.map((m) => m.platform)).toEqual([
      { architecture: 'arm64', os: 'linux' },
      { architecture: 'amd64', os: 'linux' },
    ]);
    expect(index.annotations).toMatchObject({ 'org.opencontainers.image.version': PKG_VERSION, 'org.opencontainers.image.revision': first.source.revision });
    expect(sha256File(path.join(first.layoutDir, 'blobs', 'sha256', first.index.digest.slice(7)))).toBe(first.index.digest);
    // Every blob is stored under its own digest.
    for (const blob of fs.readdirSync(path.join(first.layoutDir, 'blobs', 'sha256'))) {
      expect(sha256File(path.join(first.layoutDir, 'blobs', 'sha256', blob))).toBe(`sha256:${blob}`);
    }
  });

  it.each([['arm64'], ['amd64']])('linux/%s: five layers, non-root, fluxops reconcile by default, state under /var/lib/fluxops, labels', (arch) => {
    const inspected = skopeoJson(['--override-os', 'linux', '--override-arch', arch, 'inspect', `oci:${first.layoutDir}:${TAG}`]) as { Architecture: string; Layers: string[]; Labels: Record<string, string> };
    expect(inspected.Architecture).toBe(arch);
    expect(inspected.Layers).toHaveLength(5);
    expect(inspected.Labels).toMatchObject({
      'org.opencontainers.image.title': 'fluxops',
      'org.opencontainers.image.version': PKG_VERSION,
      'org.opencontainers.image.revision': first.source.revision,
      'dev.fluxops.node.version': pins.nodeVersion,
    });
    const config = skopeoJson(['--override-os', 'linux', '--override-arch', arch, 'inspect', '--config', `oci:${first.layoutDir}:${TAG}`]) as {
      config: { User: string; Entrypoint: string[]; Cmd: string[]; Env: string[]; WorkingDir: string; Volumes: object };
      rootfs: { diff_ids: string[] };
    };
    expect(config.config.User).toBe('65532:65532');
    expect(config.config.Entrypoint).toEqual([...IMAGE_ENTRYPOINT]);
    // `fluxops reconcile` by default; a pod's args (as `fluxops bootstrap` writes them) replace the Cmd.
    expect(config.config.Entrypoint).toEqual(['/usr/local/bin/node', '/fluxops/bin/fluxops']);
    expect(config.config.Cmd).toEqual([...IMAGE_CMD]);
    expect(config.config.Cmd).toEqual(['reconcile']);
    expect(config.config.Env).toEqual(expect.arrayContaining(['HOME=/var/lib/fluxops', 'XDG_STATE_HOME=/var/lib/fluxops/state', 'PULUMI_SKIP_UPDATE_CHECK=true']));
    expect(config.config.Volumes).toEqual({ '/var/lib/fluxops': {} });
    const p = first.platforms.find((x) => x.platform === `linux/${arch}`);
    expect(config.rootfs.diff_ids).toEqual(p?.layers.map((l) => l.diffId));
  });

  it('shares the dependency and app layers between platforms, so a registry stores them once', () => {
    const [arm, amd] = first.platforms;
    expect(arm?.layers.slice(3).map((l) => l.descriptor.digest)).toEqual(amd?.layers.slice(3).map((l) => l.descriptor.digest));
    expect(arm?.layers.slice(0, 3).map((l) => l.descriptor.digest)).not.toEqual(amd?.layers.slice(0, 3).map((l) => l.descriptor.digest));
  });

  it('is reproducible: a second build of the same inputs has the same index digest and identical documents', () => {
    expect(first.platforms.every((p) => p.layers.every((l) => !l.cached))).toBe(true);
    expect(second.platforms.every((p) => p.layers.every((l) => l.cached))).toBe(true);
    expect(second.index.digest).toBe(first.index.digest);
    expect(fs.readFileSync(path.join(second.layoutDir, 'index.json'))).toEqual(fs.readFileSync(path.join(first.layoutDir, 'index.json')));
    expect(fs.readdirSync(path.join(second.layoutDir, 'blobs', 'sha256')).sort()).toEqual(fs.readdirSync(path.join(first.layoutDir, 'blobs', 'sha256')).sort());
  });

  it('pushes every platform with skopeo to a registry on 127.0.0.1, keeping the digest', async () => {
    const reg = registry as LocalRegistry;
    const pushed = await pushImage({ layoutDir: first.layoutDir, ref: TAG, destination: `${reg.host}/edge/fluxops:${PKG_VERSION}`, tlsVerify: false });
    expect(pushed).toEqual({ destination: `docker://${reg.host}/edge/fluxops:${PKG_VERSION}`, digest: first.index.digest });
    const served = await getManifest(reg.host, 'edge/fluxops', PKG_VERSION);
    expect(served.kind).toBe('index');
    expect(served.digest).toBe(first.index.digest);
    if (served.kind !== 'index') return;
    expect(served.index.manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`)).toEqual(['linux/arm64', 'linux/amd64']);
    for (const m of served.index.manifests) {
      const manifest = await getManifest(reg.host, 'edge/fluxops', m.digest);
      if (manifest.kind !== 'manifest') throw new Error('expected an image manifest');
      const config = await getImageConfig(reg.host, 'edge/fluxops', manifest.manifest.config.digest);
      expect(config.architecture).toBe(m.platform?.architecture);
    }
  });

  it('fluxops image build: the CLI builds one platform, pushes it and reports the result as JSON; bad flags change nothing', () => {
    const reg = registry as LocalRegistry;
    const out = path.join(tmp, 'cli');
    const cli = (...args: string[]) => run(process.execPath, [path.join(REPO, 'bin/fluxops'), 'image', 'build', ...args]);
    const bad = cli('--gzip-level', '0', '--out', out);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--gzip-level: expected an integer from 1 to 9, got "0"/);
    expect(fs.existsSync(out)).toBe(false);
    expect(cli('--platform', 'linux/s390x', '--out', out).stderr).toMatch(/unsupported image platform "linux\/s390x"/);

    const r = cli('--offline', '--no-layer-cache', '--platform', 'linux/amd64', '--out', out, '--tag', 'cli', '--push', `${reg.host}/edge/fluxops-cli:amd64`, '--no-tls-verify', '--output', 'json');
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout) as { index: { digest: string }; platforms: { platform: string; compressedSize: number; uncompressedSize: number }[]; pushed: { digest: string } };
    expect(result.platforms.map((p) => p.platform)).toEqual(['linux/amd64']);
    expect(result.platforms[0]?.compressedSize).toBeLessThan(result.platforms[0]?.uncompressedSize ?? 0);
    expect(result.pushed.digest).toBe(result.index.digest);
    // The amd64 image of a one-platform build has the same manifest as in the two-platform index.
    expect(skopeoJson(['inspect', '--raw', `oci:${out}:cli`]).manifests).toEqual([expect.objectContaining({ digest: first.platforms[1]?.manifest.digest })]);
    expect(r.stderr).toMatch(/\[image\] layer pulumi-amd64: /);
  });

  (QEMU ? it : it.skip)('linux/arm64: the rootfs runs its own Node, FluxOps and Pulumi under qemu-user, on the arm64 C library of the image', () => {
    const rootfs = path.join(tmp, 'rootfs-arm64');
    extractRootfs(first, 'linux/arm64', rootfs);
    const qemu = execFileSync('sh', ['-c', `command -v ${QEMU}`], { encoding: 'utf8' }).trim();
    // -L resolves the loader and the libraries of the emulated program inside the rootfs.
    const node = run(qemu, ['-L', rootfs, path.join(rootfs, 'usr/local/bin/node'), '-p', 'process.version + " " + process.arch']);
    expect(node).toMatchObject({ status: 0, stdout: `v${pins.nodeVersion} arm64\n` });
    const pulumi = run(qemu, ['-L', rootfs, path.join(rootfs, 'usr/local/bin/pulumi'), 'version'], { HOME: path.join(tmp, 'home'), PULUMI_SKIP_UPDATE_CHECK: 'true' });
    expect(pulumi).toMatchObject({ status: 0, stdout: `${first.pulumiVersion}\n` });
    if (IS_ROOT) {
      // Exactly as in a container: the static emulator inside the rootfs, every path the image's own.
      fs.copyFileSync(qemu, path.join(rootfs, 'qemu-aarch64-static'));
      const env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/var/lib/fluxops' };
      const fluxops = run(CHROOT, ['--userspec=65532:65532', rootfs, '/qemu-aarch64-static', ...IMAGE_ENTRYPOINT, '--version'], env);
      expect(fluxops).toMatchObject({ status: 0, stdout: `${PKG_VERSION}\n` });
    } else {
      // Node's module loader bypasses qemu's path translation: name the script by its host path.
      const fluxops = run(qemu, ['-L', rootfs, path.join(rootfs, 'usr/local/bin/node'), path.join(rootfs, 'fluxops/bin/fluxops'), '--version']);
      expect(fluxops).toMatchObject({ status: 0, stdout: `${PKG_VERSION}\n` });
    }
  });

  it('linux/amd64: the rootfs runs natively, as uid 65532 in a chroot: Node, fluxops, git, Pulumi, and a synthesis of the example fleet', () => {
    const rootfs = path.join(tmp, 'rootfs-amd64');
    extractRootfs(first, 'linux/amd64', rootfs);
    if (!IS_ROOT) {
      // Without root there is no chroot: run the image's Node on this machine's C library.
      const r = run(path.join(rootfs, 'usr/local/bin/node'), [path.join(rootfs, 'fluxops/bin/fluxops'), '--version']);
      expect(r).toMatchObject({ status: 0, stdout: `${PKG_VERSION}\n` });
      return;
    }
    // What a container runtime provides: /dev/null, and the example fleet as a mounted config repository.
    fs.mkdirSync(path.join(rootfs, 'dev'));
    execFileSync('mknod', ['-m', '666', path.join(rootfs, 'dev/null'), 'c', '1', '3']);
    fs.cpSync(path.join(REPO, 'examples', 'edge-fleet'), path.join(rootfs, 'tmp', 'edge-fleet'), { recursive: true });
    execFileSync('chown', ['-R', '65532:65532', path.join(rootfs, 'tmp', 'edge-fleet')]);
    const env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/var/lib/fluxops', XDG_STATE_HOME: '/var/lib/fluxops/state', LANG: 'C.UTF-8' };
    const inImage = (...args: string[]) => run(CHROOT, ['--userspec=65532:65532', rootfs, ...args], env);
    expect(inImage('/usr/local/bin/node', '-p', 'process.version + " " + process.getuid()')).toMatchObject({ status: 0, stdout: `v${pins.nodeVersion} 65532\n` });
    expect(inImage(...IMAGE_ENTRYPOINT, '--version')).toMatchObject({ status: 0, stdout: `${PKG_VERSION}\n` });
    // The default command loads: the reconcile loop's whole module graph is in the image.
    const reconcileHelp = inImage(...IMAGE_ENTRYPOINT, ...IMAGE_CMD, '--help');
    expect(reconcileHelp).toMatchObject({ status: 0, stdout: expect.stringContaining('--site') });
    expect(inImage('/usr/bin/git', '--version')).toMatchObject({ status: 0, stdout: expect.stringMatching(/^git version 2\./) });
    expect(inImage('/usr/local/bin/pulumi', 'version')).toMatchObject({ status: 0, stdout: `${first.pulumiVersion}\n` });
    // The state directory belongs to the image's user.
    expect(inImage('/bin/sh', '-c', 'echo ok > /var/lib/fluxops/probe && echo written')).toMatchObject({ status: 0, stdout: 'written\n' });
    // Synthesis in its isolated child process (Node + ts-node + constructs + git from the image).
    const synth = inImage('/usr/local/bin/node', '/fluxops/bin/fluxops', 'synth', '-C', '/tmp/edge-fleet', '--site', 'factory-a');
    expect(synth.status).toBe(0);
    expect(synth.stdout).toMatch(/^apiVersion: v1\nkind: Namespace\n/);
    expect(synth.stdout).toMatch(/kind: Deployment/);
  });
});
