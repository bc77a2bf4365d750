import { z } from 'zod';
import { digestProblem, dnsLabelProblem, imageNameProblem, imageTagProblem, platformProblem, singleLineTextProblem } from '../validation';
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

const utcTimestamp = () =>
  z.iso.datetime({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be an ISO-8601 UTC timestamp like "2025-11-20T10:00:00Z"') });

const entrySchema = z.strictObject({
  image: validatedString(imageNameProblem),
  tag: validatedString(imageTagProblem),
  digest: validatedString(digestProblem),
  updatedAt: utcTimestamp(),
  platforms: z.array(validatedString(platformProblem)).optional(),
});

/** A hold and a bad tag have the same shape: which tag, why, since when. */
const tagNoteSchema = z.strictObject(
  {
    tag: validatedString(imageTagProblem),
    reason: validatedString(singleLineTextProblem),
    since: utcTimestamp(),
  },
  { error: 'must be a mapping { tag, reason, since }' },
);

const badTagListSchema = z.array(tagNoteSchema, { error: 'must be a list of { tag, reason, since } mappings' }).superRefine((list, ctx) => {
  const first = new Map<string, number>();
  list.forEach((b, i) => {
    const earlier = first.get(b.tag);
    if (earlier !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'tag'], message: `marks ${JSON.stringify(b.tag)} bad a second time (already at index ${earlier}); keep one record per tag` });
    else first.set(b.tag, i);
  });
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
  holds: z.record(keySchema, tagNoteSchema, { error: 'must be a mapping of policy name to hold' }).optional(),
  siteHolds: z
    .record(keySchema, z.record(keySchema, tagNoteSchema, { error: 'must be a mapping of policy name to hold' }), { error: 'must be a mapping of site name to holds' })
    .optional(),
  badTags: z.record(keySchema, badTagListSchema, { error: 'must be a mapping of policy name to a list of bad tags' }).optional(),
}) as unknown as z.ZodType<ImageLock>;
