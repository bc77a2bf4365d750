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
