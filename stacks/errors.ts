import { FluxOpsError } from '../errors';

/**
 * Typed errors of the deploy path. Pulumi reports failures as text; {@link classifyPulumiError}
 * turns that text into one of these classes once, here, so no caller ever matches messages.
 */

/** The holder of a Pulumi stack lock, as recorded in the lock file. */
export interface StackLockHolder {
  readonly pid: number;
  readonly username: string;
  readonly hostname: string;
  readonly timestamp: string;
  /** Where the lock is (file path or backend URL). */
  readonly lock: string;
}

/** Another live run is updating the stack. Retry later; nothing was changed by this run. */
export class ConcurrentUpdateError extends FluxOpsError {
  override readonly name = 'ConcurrentUpdateError';
  constructor(
    readonly stackName: string,
    readonly holders: readonly StackLockHolder[],
    options?: { cause?: unknown },
  ) {
    const who = holders.map((h) => `${h.username}@${h.hostname} (pid ${h.pid}, since ${h.timestamp})`).join(', ');
    super('concurrent-update', `stack ${stackName} is being updated by another run${who ? `: ${who}` : ''}; nothing was changed`, options);
  }
}

/**
 * The stack is locked by a run that no longer exists (killed mid-update) and FluxOps could not
 * clear the lock itself (another host's lock, or a backend it cannot inspect). Says where the lock is.
 */
export class StaleStackLockError extends FluxOpsError {
  override readonly name = 'StaleStackLockError';
  constructor(
    readonly stackName: string,
    readonly holders: readonly StackLockHolder[],
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super('stale-stack-lock', `stack ${stackName} is locked by a run that is gone (${holders.map((h) => h.lock).join(', ')}): ${reason}`, options);
  }
}

/** The API server (or the provider's checks) rejected an object of the site. Nothing of the commit was applied. */
export class InvalidManifestError extends FluxOpsError {
  override readonly name = 'InvalidManifestError';
  constructor(
    /** `kind/namespace/name` of the rejected objects, with the server's reason each. */
    readonly objects: ReadonlyArray<{ readonly id: string; readonly reason: string }>,
    options?: { cause?: unknown },
  ) {
    super('invalid-manifest', `the cluster rejected ${objects.length} object(s): ${objects.map((o) => `${o.id}: ${o.reason}`).join('; ')}`, options);
  }
}

/** The site's cluster could not be reached (connection refused, TLS, DNS, timeout, bad kubeconfig). */
export class ClusterUnreachableError extends FluxOpsError {
  override readonly name = 'ClusterUnreachableError';
  constructor(
    readonly cluster: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super('cluster-unreachable', `cluster ${cluster} is unreachable: ${reason}`, options);
  }
}

/** A file backend is used but no passphrase is configured to encrypt the stack's secrets. */
export class PassphraseMissingError extends FluxOpsError {
  override readonly name = 'PassphraseMissingError';
  constructor(readonly backendUrl: string) {
    super(
      'passphrase-missing',
      `set PULUMI_CONFIG_PASSPHRASE_FILE (preferred) or PULUMI_CONFIG_PASSPHRASE: it encrypts the stack secrets in ${backendUrl}`,
    );
  }
}

/** Stack configuration (`fluxops:*` keys) that FluxOps cannot use; names the key. */
export class StackConfigError extends FluxOpsError {
  override readonly name = 'StackConfigError';
  constructor(
    readonly key: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super('invalid-stack-config', `${key}: ${reason}`, options);
  }
}

/** A Pulumi operation failed for a reason none of the other classes describes. */
export class StackOperationError extends FluxOpsError {
  override readonly name = 'StackOperationError';
  constructor(
    readonly stackName: string,
    readonly operation: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super('stack-operation-failed', `pulumi ${operation} of stack ${stackName} failed: ${detail}`, options);
  }
}

/** Text Pulumi and the Kubernetes provider use for the failure kinds FluxOps tells apart. */
const UNREACHABLE = [
  /connection refused/i,
  /no such host/i,
  /i\/o timeout/i,
  /x509: /i,
  /unable to load kubeconfig|invalid kubeconfig|failed to (?:read|parse) kubeconfig/i,
  /configured Kubernetes cluster is unreachable/i,
  /Unable to connect to the server/i,
];
const INVALID = [/\bis invalid: /, /Unprocessable Entity|\b422\b/, /failed to validate|ValidationError/i, /admission webhook .* denied/i];
const LOCKED = /the stack is currently locked by|Another update is currently in progress/;
const LOCK_LINE = /^\s+(\S+): created by (\S+)@(\S+) \(pid (\d+)\) at (\S+)/gm;
const OBJECT_ERROR = /(?:resource|error:?)\s+(?:"?(?:urn:pulumi:[^"\s]*::)?([^"\s]+?)"?)\s+(?:was not successfully created|failed|error)[^:]*:\s*(.+)/gi;

/**
 * Classifies a failed Pulumi operation (an Automation API `CommandError`, or its text) into the
 * FluxOps error classes. The only place that reads Pulumi's messages.
 */
export function classifyPulumiError(err: unknown, ctx: { stack: string; operation: string; cluster?: string }): FluxOpsError {
  if (err instanceof FluxOpsError) return err;
  const text = pulumiErrorText(err);
  if (LOCKED.test(text)) return new ConcurrentUpdateError(ctx.stack, parseLockHolders(text), { cause: err });
  const diagnostics = errorDiagnostics(text);
  if (UNREACHABLE.some((re) => re.test(text))) {
    return new ClusterUnreachableError(ctx.cluster ?? 'of the site', firstMatchingLine(text, UNREACHABLE) ?? 'see the Pulumi output', { cause: err });
  }
  if (INVALID.some((re) => re.test(text))) {
    const objects = diagnostics.length > 0 ? diagnostics : [{ id: '(unknown object)', reason: firstMatchingLine(text, INVALID) ?? text.slice(0, 500) }];
    return new InvalidManifestError(objects, { cause: err });
  }
  return new StackOperationError(ctx.stack, ctx.operation, firstErrorLine(text), { cause: err });
}

/** Lock holders listed in Pulumi's "currently locked" message. */
export function parseLockHolders(text: string): StackLockHolder[] {
  const out: StackLockHolder[] = [];
  for (const m of text.matchAll(LOCK_LINE)) {
    out.push({ lock: m[1], username: m[2], hostname: m[3], pid: Number(m[4]), timestamp: m[5] });
  }
  return out;
}

function pulumiErrorText(err: unknown): string {
  if (err && typeof err === 'object') {
    const r = (err as { commandResult?: { stderr?: string; stdout?: string } }).commandResult;
    if (r) return `${r.stderr ?? ''}\n${r.stdout ?? ''}`;
    if (err instanceof Error) return err.message;
  }
  return String(err);
}

function errorDiagnostics(text: string): Array<{ id: string; reason: string }> {
  const out: Array<{ id: string; reason: string }> = [];
  for (const m of text.matchAll(OBJECT_ERROR)) out.push({ id: m[1], reason: m[2].trim().slice(0, 500) });
  return out;
}

function firstMatchingLine(text: string, patterns: readonly RegExp[]): string | undefined {
  return text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => patterns.some((re) => re.test(l)));
}

function firstErrorLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim());
  return (lines.find((l) => /^error:/i.test(l)) ?? lines.find((l) => l.length > 0) ?? 'no output').slice(0, 1000);
}
