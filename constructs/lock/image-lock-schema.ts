import { z } from 'zod';
import { digestProblem, dnsLabelProblem, imageNameProblem, imageTagProblem, platformProblem } from '../validation';
import { IMAGE_LOCK_SCHEMA_VERSION, ImageLock } from './image-lock';

/** A string checked by one of FluxOps's reason-returning validators. */
function validatedString(problem: (v: string) => string | undefined) {
  return z
    .string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a string (quote values that look like numbers, e.g. "1.10")') })
    .superRefine((v, ctx) => {
      const p = problem(v);
      if (p) ctx.addIssue({ code: 'custom', message: p });
    });
}

const entrySchema = z.strictObject({
  image: validatedString(imageNameProblem),
  tag: validatedString(imageTagProblem),
  digest: validatedString(digestProblem),
  updatedAt: z.iso.datetime({ error: 'must be an ISO-8601 UTC timestamp like "2025-11-20T10:00:00Z"' }),
  platforms: z.array(validatedString(platformProblem)).optional(),
});

const keySchema = z.string().superRefine((v, ctx) => {
  const p = dnsLabelProblem(v);
  if (p) ctx.addIssue({ code: 'custom', message: p });
});

/** Zod schema of `fluxops.lock.yaml`. */
export const imageLockSchema: z.ZodType<ImageLock> = z.strictObject({
  schemaVersion: z.literal(IMAGE_LOCK_SCHEMA_VERSION, {
    error: (iss) =>
      iss.input === undefined ? 'is required' : `unsupported schema version ${JSON.stringify(iss.input)}; this FluxOps reads version ${IMAGE_LOCK_SCHEMA_VERSION}`,
  }),
  policies: z.record(keySchema, entrySchema).default({}),
  sites: z.record(keySchema, z.record(keySchema, entrySchema)).default({}),
}) as unknown as z.ZodType<ImageLock>;
