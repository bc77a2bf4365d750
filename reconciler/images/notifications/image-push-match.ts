import type { ImagePushEvent } from './image-push-event';

/** Docker Hub's many names for itself. */
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** An image reference split into registry host and repository path, as Docker resolves it. */
export interface ImageName {
  /** Lowercase host[:port]; `docker.io` for Docker Hub. */
  readonly host: string;
  /** Repository path; Docker Hub's single-name images get `library/`. */
  readonly repository: string;
}

/**
 * Splits an image reference (`registry.local:5000/edge/app`, `nginx`, `acme/app:1.0`,
 * `ghcr.io/x/y@sha256:...`) into host and repository, dropping any tag or digest.
 */
export function parseImageName(image: string): ImageName {
  let ref = image.trim();
  const at = ref.indexOf('@');
  if (at >= 0) ref = ref.slice(0, at);
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > lastSlash) ref = ref.slice(0, colon);
  const first = ref.split('/')[0] ?? '';
  const hasHost = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  const host = hasHost ? normalizeHost(first) : 'docker.io';
  let repository = hasHost ? ref.slice(first.length + 1) : ref;
  if (host === 'docker.io' && !repository.includes('/')) repository = `library/${repository}`;
  return { host, repository };
}

/** Options for {@link imagePushMatches}. */
export interface ImagePushMatchOptions {
  /**
   * Also require the registry host to match when the event names one. Turn off when pushers use
   * another name for the registry than the cluster does (distribution reports the `Host` the
   * pusher used, e.g. an internal name or `127.0.0.1:5000`).
   * @default true
   */
  readonly compareHost?: boolean;
}

/** Whether a push event concerns the image repository `image` (an `ImageRepository`'s image, tag ignored). */
export function imagePushMatches(event: ImagePushEvent, image: string, opts: ImagePushMatchOptions = {}): boolean {
  const wanted = parseImageName(image);
  const eventHost = event.registryHost !== undefined ? normalizeHost(event.registryHost) : undefined;
  let repository = event.repository;
  if (eventHost === 'docker.io' && !repository.includes('/')) repository = `library/${repository}`;
  if (repository !== wanted.repository) return false;
  if ((opts.compareHost ?? true) && eventHost !== undefined && eventHost !== wanted.host) return false;
  return true;
}

function normalizeHost(host: string): string {
  const h = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(h) ? 'docker.io' : h;
}
