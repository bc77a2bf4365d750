import { normalizePlatform } from '../../../constructs/validation';
import type { OciImageConfig, OciImageIndex } from './schemas';

/** The annotation BuildKit puts on the index entries of attestation manifests (SBOM, provenance). */
export const ATTESTATION_ANNOTATION = 'vnd.docker.reference.type';

/**
 * Platforms an image index lists, normalized (`linux/arm64`, `linux/arm/v7`), in order, without
 * duplicates. Entries that are not images are skipped: attestation manifests (platform
 * `unknown/unknown` or annotation `vnd.docker.reference.type: attestation-manifest`) and entries
 * without a platform.
 */
export function indexPlatforms(index: OciImageIndex): string[] {
  const out = new Set<string>();
  for (const entry of index.manifests) {
    const p = entry.platform;
    if (!p) continue;
    if (p.os === 'unknown' && p.architecture === 'unknown') continue;
    if (entry.annotations?.[ATTESTATION_ANNOTATION] === 'attestation-manifest') continue;
    out.add(normalizePlatform(p.os, p.architecture, p.variant));
  }
  return [...out];
}

/** The platform of a single-platform image, from its config blob. */
export function configPlatform(config: OciImageConfig): string {
  return normalizePlatform(config.os, config.architecture, config.variant);
}
