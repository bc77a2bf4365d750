import * as fs from 'node:fs';

import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

import { dnsLabelProblem, repoPathProblem } from '../../constructs/validation';
import { FluxOpsError } from '../../errors';

/** A reconciler setting that cannot be used; names where it came from and the field. */
export class ReconcileConfigError extends FluxOpsError {
  override readonly name = 'ReconcileConfigError';
  constructor(
    readonly source: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super('invalid-reconcile-config', `${source}: ${field}: ${reason}`);
  }
}

/** Parses `30s`, `1m`, `1h30m`, `500ms` (Go-style durations, as Flux intervals are written). */
export function parseDuration(text: string, field: string, source: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(text.trim());
  if (!m || text.trim() === '' || m.slice(1).every((x) => x === undefined)) {
    throw new ReconcileConfigError(source, field, `${JSON.stringify(text)} is not a duration like "30s", "1m" or "1h30m"`);
  }
  const [h, min, s, ms] = m.slice(1).map((x) => Number(x ?? 0));
  const total = ((h * 60 + min) * 60 + s) * 1000 + ms;
  if (total <= 0) throw new ReconcileConfigError(source, field, 'must be longer than zero');
  return total;
}

const duration = z.string().min(1);

/** A string checked by one of the constructs' reason-returning validators. */
function checked(problem: (v: string) => string | undefined) {
  return z.string().superRefine((v, ctx) => {
    const p = problem(v);
    if (p) ctx.addIssue({ code: 'custom', message: p });
  });
}

/** The config file of `fluxops reconcile --config FILE` (secrets are never in it: files or the environment only). */
export const reconcileConfigSchema = z.strictObject({
  // The Site's name (a DNS-1123 label, as the construct requires): it names the status ConfigMap.
  site: checked(dnsLabelProblem),
  repository: z.strictObject({
    url: z.string().min(1),
    branch: z.string().min(1).default('main'),
    // Joined to the checkout directory: `..` would load a fleet from outside the repository.
    path: checked(repoPathProblem).default('.'),
    auth: z
      .union([
        z.strictObject({ tokenFile: z.string().min(1), username: z.string().optional() }),
        z.strictObject({ username: z.string().min(1), passwordFile: z.string().min(1) }),
        z.strictObject({ sshKeyFile: z.string().min(1), knownHostsFile: z.string().min(1) }),
      ])
      .optional(),
  }),
  interval: duration.default('1m'),
  driftInterval: duration.default('10m'),
  kubeconfig: z.string().min(1).optional(),
  context: z.string().min(1).optional(),
  stateDir: z.string().min(1).optional(),
  listen: z.string().min(1).default('127.0.0.1:9797'),
  webhook: z
    .strictObject({
      provider: z.enum(['github', 'gitlab', 'gitea', 'generic']),
      secretFile: z.string().min(1),
    })
    .optional(),
  images: z
    .strictObject({
      /** Run the image automation loop (registry -> policy -> lock -> Git). */
      enabled: z.boolean().default(true),
      /** How often to scan the registries. */
      interval: duration.default('1m'),
      /** A Docker `config.json` with registry credentials. */
      registryAuthFile: z.string().min(1).optional(),
      /** Registry push notifications. */
      webhook: z.strictObject({ provider: z.enum(['distribution', 'dockerhub', 'harbor']), secretFile: z.string().min(1) }).optional(),
    })
    .default({ enabled: true, interval: '1m' }),
  dryRun: z.boolean().default(false),
  healthTimeout: duration.default('5m'),
  fleetEnv: z.record(z.string().regex(/^FLEET_[A-Z0-9_]+$/, 'variables for fleet code must be named FLEET_*'), z.string()).default({}),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

/** The reconciler's settings, validated. */
export type ReconcileConfig = z.infer<typeof reconcileConfigSchema>;

/** Reads and validates a config file; every problem names the file and the field. */
export function readReconcileConfigFile(file: string): Partial<ReconcileConfig> {
  let data: unknown;
  try {
    data = parseYaml(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ReconcileConfigError(file, '(file)', (err as Error).message.split('\n')[0]);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new ReconcileConfigError(file, '(document)', 'must be a YAML mapping');
  return data as Partial<ReconcileConfig>;
}

/** Merges defaults < file < environment < flags and validates the result. */
export function resolveReconcileConfig(layers: ReadonlyArray<{ source: string; values: Record<string, unknown> }>): ReconcileConfig {
  const merged: Record<string, unknown> = {};
  for (const { values } of layers) deepMerge(merged, values);
  const r = reconcileConfigSchema.safeParse(merged);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue.path.join('.') || '(config)';
    const source = layers.slice().reverse().find((l) => hasPath(l.values, issue.path.map(String)))?.source ?? 'settings';
    throw new ReconcileConfigError(source, field, issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}` : issue.message);
  }
  for (const [field, value] of [['interval', r.data.interval], ['driftInterval', r.data.driftInterval], ['healthTimeout', r.data.healthTimeout], ['images.interval', r.data.images.interval]] as const) {
    // Name the layer the value came from (the file, the environment, a flag), not just "settings".
    const source = layers.slice().reverse().find((l) => hasPath(l.values, field.split('.')))?.source ?? 'settings';
    parseDuration(value, field, source);
  }
  return r.data;
}

function deepMerge(into: Record<string, unknown>, from: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(from)) {
    if (v === undefined) continue;
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && typeof into[k] === 'object' && into[k] !== null) deepMerge(into[k] as Record<string, unknown>, v as Record<string, unknown>);
    else into[k] = v;
  }
}

function hasPath(values: Record<string, unknown>, p: string[]): boolean {
  let node: unknown = values;
  for (const seg of p) {
    if (typeof node !== 'object' || node === null || !(seg in node)) return false;
    node = (node as Record<string, unknown>)[seg];
  }
  return true;
}

/** Reads a secret from a file (never from a flag value); trailing newline removed. */
export function readSecretFile(file: string, field: string): string {
  try {
    const value = fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    if (value === '') throw new ReconcileConfigError(file, field, 'the file is empty');
    return value;
  } catch (err) {
    if (err instanceof ReconcileConfigError) throw err;
    throw new ReconcileConfigError(file, field, `cannot read the secret file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
