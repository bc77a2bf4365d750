import * as fs from 'node:fs';
import * as path from 'node:path';

import { parseDocument } from 'yaml';
import { z } from 'zod';

import { FluxOpsError } from '../../errors';

/**
 * A `Pulumi.yaml` or `Pulumi.<site>.yaml` committed in the config repository that the reconciler
 * cannot use: not YAML, not a mapping, a runtime other than Node.js, a `secure` value that is not
 * a Pulumi ciphertext. The commit itself is wrong, so the run stalls on it (retrying cannot help)
 * and nothing is applied.
 */
export class StackSettingsError extends FluxOpsError {
  override readonly name = 'StackSettingsError';
  /** The file, relative to the config directory (`Pulumi.edge-1.yaml`). */
  readonly file: string;
  /** The field at fault (`runtime`, `config.app:token`), or `(file)` for a file that is not YAML. */
  readonly field: string;
  /** 1-based line of a YAML syntax error. */
  readonly line?: number;
  /** Why, without the file and field. */
  readonly reason: string;

  constructor(init: { file: string; field: string; reason: string; line?: number; cause?: unknown }) {
    super('invalid-stack-settings', `${init.file}${init.line !== undefined ? `:${init.line}` : ''}: ${init.field}: ${init.reason}; nothing was applied`, { cause: init.cause });
    this.file = init.file;
    this.field = init.field;
    this.reason = init.reason;
    if (init.line !== undefined) this.line = init.line;
  }
}

/** Pulumi's passphrase ciphertexts: `v1:<base64 nonce>:<base64 sealed value>`. */
const CIPHERTEXT = /^v1:[A-Za-z0-9+/]+={0,2}:[A-Za-z0-9+/]+={0,2}$/;

const projectSchema = z.looseObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'must be a Pulumi project name (letters, digits, "_", ".", "-")'),
  runtime: z.union([z.literal('nodejs'), z.looseObject({ name: z.literal('nodejs') })], {
    error: 'must be nodejs: the reconciler runs FluxOps’ own Node.js program for every stack',
  }),
});

const stackSchema = z.looseObject({
  encryptionsalt: z.string().regex(/^v1:/, 'must be the salt Pulumi wrote (v1:...)').optional(),
  config: z
    .record(z.string(), z.unknown())
    .superRefine((config, ctx) => {
      // `pulumi config set --secret --path a.b.c` nests secure values anywhere below a key.
      const walk = (value: unknown, at: string[]): void => {
        if (typeof value !== 'object' || value === null) return;
        if (!Array.isArray(value) && 'secure' in value) {
          const secure = (value as { secure: unknown }).secure;
          if (typeof secure !== 'string' || !CIPHERTEXT.test(secure)) {
            ctx.addIssue({ code: 'custom', path: at, message: 'secure value is not a Pulumi passphrase ciphertext (v1:<nonce>:<ciphertext>); set it with `pulumi config set --secret`' });
          }
          return;
        }
        for (const [k, v] of Object.entries(value)) walk(v, [...at, k]);
      };
      for (const [key, value] of Object.entries(config)) walk(value, [key]);
    })
    .optional(),
});

/**
 * Checks the Pulumi settings files a commit carries before the reconciler copies them into the
 * site's workspace, so a broken file stalls the commit with {@link StackSettingsError} (file,
 * field) instead of failing every `pulumi up` with an opaque error that is retried forever.
 * Absent files are fine (the reconciler's own project settings are used).
 */
export function checkStackSettingsFiles(configDir: string, site: string): void {
  check(configDir, 'Pulumi.yaml', projectSchema);
  check(configDir, `Pulumi.${site}.yaml`, stackSchema);
}

function check(configDir: string, file: string, schema: z.ZodType): void {
  let text: string;
  try {
    text = fs.readFileSync(path.join(configDir, file), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new StackSettingsError({ file, field: '(file)', reason: `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, cause: err });
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const syntax = doc.errors[0];
  if (syntax) {
    throw new StackSettingsError({ file, field: '(file)', reason: `invalid YAML: ${syntax.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`, ...(syntax.linePos ? { line: syntax.linePos[0].line } : {}), cause: syntax });
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new StackSettingsError({ file, field: '(document)', reason: 'must be a YAML mapping' });
  const r = schema.safeParse(data);
  if (r.success) return;
  const issue = r.error.issues[0];
  throw new StackSettingsError({ file, field: issue?.path.map(String).join('.') || '(document)', reason: issue?.message ?? 'is invalid', cause: r.error });
}
