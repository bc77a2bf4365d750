import { z } from 'zod';

/**
 * Zod schemas of the documents the OCI distribution API serves: image indexes and Docker manifest
 * lists, OCI and Docker schema 2 image manifests, image configs, tag lists, error bodies and token
 * responses. Only the fields FluxOps reads are required; everything else passes through.
 */

/** `sha256:<64 hex>` or `sha512:<128 hex>` (the algorithms the OCI image spec registers). */
export const DIGEST_PATTERN = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** A content digest as it appears in descriptors and headers. */
export const digestSchema = z.string().regex(DIGEST_PATTERN, 'must be sha256:<64 hex> or sha512:<128 hex>');

/** The platform object of an index entry. */
export const platformSchema = z.object({
  os: z.string(),
  architecture: z.string(),
  variant: z.string().optional(),
  'os.version': z.string().optional(),
  'os.features': z.array(z.string()).optional(),
});

/** An OCI content descriptor (also the shape of Docker manifest list entries). */
export const descriptorSchema = z.object({
  mediaType: z.string(),
  digest: digestSchema,
  size: z.number().int().nonnegative(),
  platform: platformSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  urls: z.array(z.string()).optional(),
});

/** An OCI image index or a Docker manifest list. */
export const imageIndexSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(descriptorSchema),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** An OCI image manifest or a Docker schema 2 manifest. */
export const imageManifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** An image config blob: only the platform fields and a few common ones. */
export const imageConfigSchema = z.object({
  architecture: z.string(),
  os: z.string(),
  variant: z.string().optional(),
  'os.version': z.string().optional(),
  created: z.string().optional(),
  config: z.object({ Labels: z.record(z.string(), z.string()).nullish() }).partial().nullish(),
  rootfs: z.object({ type: z.string(), diff_ids: z.array(z.string()) }).optional(),
});

/** Body of `GET /v2/<name>/tags/list`. `tags` is `null` in some registries for an empty repository. */
export const tagListSchema = z.object({ name: z.string(), tags: z.array(z.string()).nullable() });

/** The distribution API error body (`{"errors":[{"code":"NAME_UNKNOWN","message":...}]}`). */
export const errorBodySchema = z.object({
  errors: z
    .array(z.object({ code: z.string(), message: z.string().optional() }))
    .min(1),
});

/**
 * A token endpoint's answer (Docker token authentication spec). `token` and `access_token` are
 * synonyms; `expires_in` defaults to 60 seconds.
 */
export const tokenResponseSchema = z
  .object({
    token: z.string().min(1).optional(),
    access_token: z.string().min(1).optional(),
    expires_in: z.number().positive().optional(),
    issued_at: z.string().optional(),
    refresh_token: z.string().optional(),
  })
  .refine((t) => t.token !== undefined || t.access_token !== undefined, { message: 'has neither "token" nor "access_token"' });

/** A parsed platform object. */
export type OciPlatformObject = z.infer<typeof platformSchema>;
/** A parsed content descriptor. */
export type OciDescriptorObject = z.infer<typeof descriptorSchema>;
/** A parsed image index or manifest list. */
export type OciImageIndex = z.infer<typeof imageIndexSchema>;
/** A parsed image manifest. */
export type OciImageManifest = z.infer<typeof imageManifestSchema>;
/** A parsed image config. */
export type OciImageConfig = z.infer<typeof imageConfigSchema>;
/** A parsed tag list page. */
export type TagListPage = z.infer<typeof tagListSchema>;
/** A parsed token endpoint answer. */
export type TokenResponse = z.infer<typeof tokenResponseSchema>;
