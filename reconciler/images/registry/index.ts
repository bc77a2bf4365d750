/**
 * "Where versions come from": a read-only OCI distribution API v2 client (tags with pagination,
 * manifests and indexes verified by digest, platforms, basic and bearer-token auth from Docker
 * config.json or a dockerconfigjson Secret, retries with backoff), and the document schemas.
 */
export * from './errors';
export * from './media-types';
export * from './schemas';
export * from './image-name';
export * from './credentials';
export * from './http-headers';
export * from './registry-transport';
export * from './registry-auth';
export * from './lru-cache';
export * from './image-platforms';
export * from './registry-client';
