/** CPU architectures as Kubernetes reports them in the `kubernetes.io/arch` node label. */
export const KNOWN_ARCHITECTURES = ['arm64', 'amd64', 'arm', 'riscv64', 'ppc64le', 's390x', '386'] as const;

/** One of {@link KNOWN_ARCHITECTURES}. */
export type Architecture = (typeof KNOWN_ARCHITECTURES)[number];

/** Operating systems FluxOps can place workloads on. */
export const KNOWN_OPERATING_SYSTEMS = ['linux'] as const;

/** One of {@link KNOWN_OPERATING_SYSTEMS}. */
export type OperatingSystem = (typeof KNOWN_OPERATING_SYSTEMS)[number];

/** An OCI platform, `os/arch` or `os/arch/variant`, as found in image indexes (`linux/arm64`, `linux/arm/v7`). */
export type Platform = `${OperatingSystem}/${Architecture}` | `${OperatingSystem}/${Architecture}/${string}`;

/** Variants that exist for each architecture in OCI image indexes. */
const KNOWN_VARIANTS: Partial<Record<Architecture, readonly string[]>> = {
  arm: ['v5', 'v6', 'v7', 'v8'],
  arm64: ['v8', 'v9'],
  amd64: ['v1', 'v2', 'v3', 'v4'],
};

/** Validates an architecture name against {@link KNOWN_ARCHITECTURES}. */
export function architectureProblem(value: string): string | undefined {
  if ((KNOWN_ARCHITECTURES as readonly string[]).includes(value)) return undefined;
  return `unknown architecture; expected one of ${KNOWN_ARCHITECTURES.join(', ')}`;
}

/** Validates an `os/arch[/variant]` platform string. */
export function platformProblem(value: string): string | undefined {
  if (typeof value !== 'string') return 'must be a string like "linux/arm64"';
  const [os, arch, variant, ...rest] = value.split('/');
  if (!os || !arch || rest.length > 0) return 'must look like "linux/arm64" or "linux/arm/v7"';
  if (!(KNOWN_OPERATING_SYSTEMS as readonly string[]).includes(os)) {
    return `unknown operating system "${os}"; expected one of ${KNOWN_OPERATING_SYSTEMS.join(', ')}`;
  }
  const a = architectureProblem(arch);
  if (a) return a;
  if (variant !== undefined && !(KNOWN_VARIANTS[arch as Architecture] ?? []).includes(variant)) {
    return `unknown variant "${variant}" for ${arch}`;
  }
  return undefined;
}

/** The architecture part of a platform string (`linux/arm/v7` -> `arm`). */
export function platformArchitecture(platform: Platform): Architecture {
  return platform.split('/')[1] as Architecture;
}

/** Architecture spellings some builders write into image configs, and their OCI names (as containerd normalizes them). */
const ARCH_ALIASES: Readonly<Record<string, string>> = {
  aarch64: 'arm64',
  x86_64: 'amd64',
  'x86-64': 'amd64',
  armhf: 'arm',
  armel: 'arm',
  i386: '386',
};

/**
 * The canonical `os/arch[/variant]` of an OCI platform, as containerd's `platforms.Normalize`
 * does: lower case, architecture aliases resolved, the default variant dropped (`arm64/v8` and
 * `amd64/v1` are plain `arm64` and `amd64`), and `arm` without a variant read as `arm/v7`.
 */
export function normalizePlatform(os: string, architecture: string, variant?: string): string {
  const o = os.toLowerCase();
  let arch = architecture.toLowerCase();
  let v = variant?.toLowerCase() || undefined;
  if (arch === 'armhf') v ??= 'v7';
  if (arch === 'armel') v ??= 'v6';
  arch = ARCH_ALIASES[arch] ?? arch;
  if (arch === 'arm64' && (v === 'v8' || v === '8')) v = undefined;
  if (arch === 'amd64' && (v === 'v1' || v === '1')) v = undefined;
  if (arch === 'arm') v = v === undefined ? 'v7' : v.startsWith('v') ? v : `v${v}`;
  return v ? `${o}/${arch}/${v}` : `${o}/${arch}`;
}

/** Parses `os/arch[/variant]` and returns it normalized (see {@link normalizePlatform}). */
export function normalizePlatformString(platform: string): string {
  const [os = '', arch = '', variant] = platform.split('/');
  return normalizePlatform(os, arch, variant);
}

/**
 * Whether an image for `available` runs where `required` is asked for. Both are `os/arch[/variant]`
 * strings; equal after normalization, or `required` names no variant and the architecture matches
 * (any `linux/arm64/*` serves `linux/arm64`; `linux/arm` means `linux/arm/v7`).
 */
export function platformSatisfies(required: string, available: string): boolean {
  const r = normalizePlatformString(required);
  const a = normalizePlatformString(available);
  if (r === a) return true;
  const [ro, ra, rv] = r.split('/');
  const [ao, aa] = a.split('/');
  return rv === undefined && ro === ao && ra === aa;
}
