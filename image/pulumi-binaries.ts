import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { readVersions, toolchainRoot } from '../toolchain/locate';
import { ImageInputMissingError, ImageToolError } from './errors';
import type { ImagePlatform } from './platforms';

/**
 * The Pulumi CLI and Kubernetes provider for an image platform: cross-compiled (cgo off) by
 * toolchain/build.sh with the same recipe and pins as the host toolchain, cached in
 * `<toolchain cache>/cross/linux-<arch>/bin`. Building them takes several minutes per binary, so
 * setup does it once per machine; a build here happens only when something is missing and the
 * build is not offline.
 */

/** The cross-built binaries of one platform. */
export interface PulumiBinaries {
  readonly pulumi: string;
  readonly provider: string;
  /** Pulumi CLI version (`v3.248.0`). */
  readonly pulumiVersion: string;
  /** Kubernetes provider version (`4.25.0`). */
  readonly providerVersion: string;
}

/** The build.sh command that cross-builds what the image needs. */
export const CROSS_BUILD_COMMAND = 'npm run toolchain -- image';

const BUILD_SCRIPT = path.join(__dirname, '..', 'toolchain', 'build.sh');

/** Where the cross builds of `platform` live and whether build.sh marked them complete. */
export function pulumiBinariesFor(platform: ImagePlatform): PulumiBinaries & { readonly steps: readonly { step: string; done: boolean }[] } {
  const root = toolchainRoot();
  const versions = readVersions();
  const bin = path.join(root, 'cross', `linux-${platform.goarch}`, 'bin');
  const steps = [`pulumi_linux_${platform.goarch}`, `pulumi_kubernetes_linux_${platform.goarch}`].map((step) => ({
    step,
    done: fs.existsSync(path.join(root, `.done-${step}`)),
  }));
  return {
    pulumi: path.join(bin, 'pulumi'),
    provider: path.join(bin, 'pulumi-resource-kubernetes'),
    pulumiVersion: versions.PULUMI_VERSION ?? '',
    providerVersion: versions.PULUMI_K8S_VERSION ?? '',
    steps,
  };
}

/** Options of {@link ensurePulumiBinaries}. */
export interface EnsurePulumiOptions {
  /** Never compile: missing binaries are an {@link ImageInputMissingError}. @default false */
  readonly offline?: boolean;
}

/**
 * Returns the cross-built binaries of `platform`, running build.sh for the missing steps first
 * (its progress lines go to this process's stderr) unless offline.
 */
export async function ensurePulumiBinaries(platform: ImagePlatform, opts: EnsurePulumiOptions = {}): Promise<PulumiBinaries> {
  const found = pulumiBinariesFor(platform);
  for (const { step, done } of found.steps) {
    if (done) continue;
    if (opts.offline) throw new ImageInputMissingError(`${step} (cross-built for ${platform.name})`, path.dirname(found.pulumi), CROSS_BUILD_COMMAND);
    await runBuildStep(step);
  }
  for (const file of [found.pulumi, found.provider]) {
    if (!fs.existsSync(file)) throw new ImageInputMissingError(`${path.basename(file)} for ${platform.name}`, file, CROSS_BUILD_COMMAND);
  }
  const { steps: _steps, ...binaries } = found;
  return binaries;
}

function runBuildStep(step: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [BUILD_SCRIPT, step], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', (err) => reject(new ImageToolError('bash', [BUILD_SCRIPT, step], null, err.message)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new ImageToolError('bash', [BUILD_SCRIPT, step], code, 'see the build output above'))));
  });
}
