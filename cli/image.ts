import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';

import { collect, outputFormat, printJson, UsageError } from './output';

interface BuildFlags {
  out: string;
  tag?: string;
  platform: string[];
  offline: boolean;
  layerCache: boolean;
  gzipLevel: string;
  source?: string;
  push?: string;
  tlsVerify: boolean;
  authfile?: string;
  output: string;
}

/** `fluxops image build|fetch|lock-debian|node-path`: the reconciler image, built without Docker. */
export function registerImageCommands(program: Command): void {
  const image = program.command('image').description('the FluxOps reconciler image (linux/arm64 + linux/amd64), built without Docker');

  image
    .command('build')
    .description('build the multi-arch OCI image layout (reproducible: same inputs, same digest) and optionally push it with skopeo')
    .option('--out <dir>', 'OCI layout directory to write (replaced)', path.join('.fluxops', 'image', 'oci'))
    .option('--tag <tag>', 'tag (the layout reference name); default: the package.json version')
    .option('--platform <os/arch>', 'only this platform (repeatable); default: linux/arm64 and linux/amd64', collect, [])
    .option('--offline', 'use only cached inputs: never run npm, apt-get or the Go cross build', false)
    .option('--no-layer-cache', 'compress every layer again instead of reusing cached compressed layers')
    .option('--gzip-level <n>', 'gzip level of the layers (1-9)', '6')
    .option('--source <url>', 'org.opencontainers.image.source label; default: the origin remote')
    .option('--push <destination>', 'then push every platform: [docker://]<registry>/<repository>:<tag>')
    .option('--no-tls-verify', 'push over plain HTTP or without verifying the certificate (a registry on loopback)')
    .option('--authfile <file>', 'registry credentials for --push (containers auth.json / docker config.json)')
    .option('--output <format>', '"text" or "json" (the build result as data)', 'text')
    .action(async (o: BuildFlags) => {
      outputFormat(o.output);
      const level = Number(o.gzipLevel);
      if (!Number.isInteger(level) || level < 1 || level > 9) throw new UsageError('--gzip-level', o.gzipLevel, 'expected an integer from 1 to 9');
      const { buildImage, imagePlatform, pushImage } = await import('../image');
      const platforms = o.platform.map((p) => imagePlatform(p).name);
      const log = (line: string) => console.error(`[image] ${line}`);
      const built = await buildImage({
        outDir: path.resolve(o.out),
        ...(o.tag !== undefined ? { tag: o.tag } : {}),
        ...(platforms.length > 0 ? { platforms } : {}),
        offline: o.offline,
        layerCache: o.layerCache,
        gzipLevel: level,
        ...(o.source !== undefined ? { sourceUrl: o.source } : {}),
        log,
      });
      const pushed = o.push
        ? await pushImage({ layoutDir: built.layoutDir, ref: built.ref, destination: o.push, tlsVerify: o.tlsVerify, ...(o.authfile ? { authFile: o.authfile } : {}) })
        : undefined;
      if (o.output === 'json') {
        printJson({ ...built, ...(pushed ? { pushed } : {}) });
        return;
      }
      console.log(`oci:${built.layoutDir}:${built.ref}`);
      console.log(`index ${built.index.digest}`);
      for (const p of built.platforms) {
        console.log(`  ${p.platform}\t${p.manifest.digest}\t${mib(p.compressedSize)} compressed, ${mib(p.uncompressedSize)} unpacked`);
      }
      if (pushed) console.log(`pushed ${pushed.destination}@${pushed.digest}`);
    });

  image
    .command('fetch')
    .description('download the Node runtimes and Debian packages the image is built from into the cache (setup runs this)')
    .option('--quiet-if-cached', 'print nothing when everything is cached', false)
    .action(async (o: { quietIfCached: boolean }) => {
      const { ensureDebianPackages, ensureNodeRuntime, imageCacheRoot, imageInputsKey, IMAGE_PLATFORM_NAMES, imagePlatform, readDebianLock, readImagePins } = await import(
        '../image'
      );
      const pins = readImagePins();
      const lock = readDebianLock();
      const cacheRoot = imageCacheRoot();
      let fetched = 0;
      const log = (line: string) => {
        fetched++;
        console.error(`[image] ${line}`);
      };
      for (const platform of IMAGE_PLATFORM_NAMES.map(imagePlatform)) {
        await ensureNodeRuntime(platform, { pins, cacheRoot, log });
        await ensureDebianPackages(lock.platforms[platform.debianArch] ?? [], { cacheRoot, suite: lock.suite, arch: platform.debianArch, log });
      }
      // What scripts/setup.sh checks before starting Node at all.
      fs.writeFileSync(path.join(cacheRoot, `.done-inputs-${imageInputsKey()}`), '');
      if (fetched > 0 || !o.quietIfCached) console.error(`[image] inputs ready in ${cacheRoot}`);
    });

  image
    .command('lock-debian')
    .description('re-resolve the base image packages against the Debian mirror and rewrite image/debian-packages.lock.json')
    .action(async () => {
      const { imageCacheRoot, lockDebianPackages } = await import('../image');
      const result = await lockDebianPackages({ cacheRoot: imageCacheRoot(), log: (line) => console.error(`[image] ${line}`) });
      console.log(result.changes.length > 0 ? result.changes.join('\n') : 'no changes');
      console.error(`[image] wrote ${result.file}`);
    });

  image
    .command('node-path')
    .description("print the path of the image's Node binary for a platform (fetched into the cache if needed)")
    .option('--platform <os/arch>', 'default: this machine')
    .option('--offline', 'fail instead of fetching', false)
    .action(async (o: { platform?: string; offline: boolean }) => {
      const { ensureNodeRuntime, hostImagePlatform, imagePlatform } = await import('../image');
      const platform = o.platform !== undefined ? imagePlatform(o.platform) : hostImagePlatform();
      if (!platform) throw new UsageError('--platform', o.platform, `this machine (${process.platform}/${process.arch}) is not an image platform; name one`);
      const node = await ensureNodeRuntime(platform, { offline: o.offline, log: (line) => console.error(`[image] ${line}`) });
      console.log(node.binary);
    });
}

function mib(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}
