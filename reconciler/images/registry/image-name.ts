import { imageNameProblem } from '../../../constructs/validation';
import { InvalidImageNameError } from './errors';

/** Canonical name of Docker Hub. */
export const DOCKER_HUB = 'docker.io';
/** Where Docker Hub's v2 API actually lives. */
const DOCKER_HUB_API = 'registry-1.docker.io';
/** Names that mean Docker Hub (in image names and in `config.json` keys). */
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** An image name split the way Docker splits it. */
export interface ImageName {
  /** Canonical registry host, as credentials are keyed (`docker.io`, `ghcr.io`, `registry.local:5000`). */
  readonly registry: string;
  /** `host[:port]` the API is served from (`registry-1.docker.io` for Docker Hub). */
  readonly apiHost: string;
  /** Repository path (`library/nginx`, `edge/sensor-gateway`). */
  readonly repository: string;
}

/**
 * Splits an image name (no tag, no digest) like Docker does: the first component is a registry host
 * if it contains `.` or `:` or is `localhost`; otherwise the image is on Docker Hub, and a single
 * component gets the `library/` prefix (`nginx` -> `docker.io/library/nginx`).
 */
export function parseImageName(image: string): ImageName {
  const problem = imageNameProblem(image);
  if (problem) throw new InvalidImageNameError(image, problem);
  const slash = image.indexOf('/');
  const first = slash < 0 ? '' : image.slice(0, slash);
  const hasHost = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let registry = hasHost ? canonicalRegistryHost(first) : DOCKER_HUB;
  let repository = hasHost ? image.slice(slash + 1) : image;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  registry = registry.toLowerCase();
  return { registry, apiHost: registry === DOCKER_HUB ? DOCKER_HUB_API : registry, repository };
}

/**
 * The canonical host for a registry written as an image-name prefix or a `config.json` key:
 * scheme and path dropped (`https://index.docker.io/v1/` -> `docker.io`), lower case, Docker Hub
 * aliases folded to `docker.io`.
 */
export function canonicalRegistryHost(value: string): string {
  let host = value.trim().toLowerCase();
  host = host.replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  const slash = host.indexOf('/');
  if (slash >= 0) host = host.slice(0, slash);
  return DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB : host;
}
