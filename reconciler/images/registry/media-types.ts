/**
 * Media types of the documents a registry serves for a tag or digest. FluxOps asks for all four
 * manifest kinds and accepts nothing else (Docker schema 1 is long deprecated and unsigned).
 */
export const MEDIA_TYPES = {
  /** OCI image index (multi-platform). */
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  /** OCI image manifest (one platform). */
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  /** OCI image config blob. */
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  /** OCI gzip layer. */
  ociLayerTarGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  /** Docker manifest list (multi-platform, Docker's index). */
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  /** Docker image manifest, schema 2 (one platform). */
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  /** Docker image config blob. */
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

/** Media types that list platforms (an index or a manifest list). */
export const INDEX_MEDIA_TYPES: readonly string[] = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList];

/** Media types of a single-platform image manifest. */
export const IMAGE_MANIFEST_MEDIA_TYPES: readonly string[] = [MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest];

/** Every manifest media type the registry client accepts, in the order of the `Accept` header. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [...INDEX_MEDIA_TYPES, ...IMAGE_MANIFEST_MEDIA_TYPES];

/** Config blob media types the client reads platforms from. */
export const CONFIG_MEDIA_TYPES: readonly string[] = [MEDIA_TYPES.ociConfig, MEDIA_TYPES.dockerConfig];

/** The media type part of a `Content-Type` header (`application/json; charset=utf-8` -> `application/json`). */
export function mediaTypeOfContentType(contentType: string | null | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}
