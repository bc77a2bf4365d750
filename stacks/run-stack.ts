import type { EngineEvent, Stack } from '@pulumi/pulumi/automation';

import { ChangeSetRecorder, type ChangeSet } from './change-set';
import { classifyPulumiError } from './errors';

/** A Pulumi operation on a site stack. */
export type StackOperation = 'up' | 'preview' | 'destroy';

/** Options of {@link runStack}. */
export interface RunStackOptions {
  /** Read the live cluster first (drift shows up and is corrected). @default false */
  readonly refresh?: boolean;
  /** Pulumi's progress output. */
  readonly onOutput?: (text: string) => void;
  /** The cluster, for messages. */
  readonly cluster?: string;
  /** Update only these resources (URNs); everything else stays as the state has it. */
  readonly target?: readonly string[];
  /** Engine events, besides the change set. */
  readonly onEvent?: (event: EngineEvent) => void;
}

/** The outcome of {@link runStack}. */
export interface StackRunResult {
  readonly operation: StackOperation;
  /** One entry per Kubernetes object. */
  readonly changeSet: ChangeSet;
  readonly durationMs: number;
}

/**
 * Runs up, preview or destroy and returns the change set built from Pulumi's engine events.
 *
 * @throws a typed FluxOpsError (ConcurrentUpdateError, InvalidManifestError,
 *   ClusterUnreachableError, StackOperationError), classified once by classifyPulumiError
 */
export async function runStack(stack: Stack, operation: StackOperation, opts: RunStackOptions = {}): Promise<StackRunResult> {
  const recorder = new ChangeSetRecorder(operation === 'preview');
  const started = Date.now();
  const onEvent = (e: EngineEvent) => {
    recorder.record(e);
    opts.onEvent?.(e);
  };
  const common = {
    onEvent,
    ...(opts.onOutput ? { onOutput: opts.onOutput } : {}),
    ...(opts.refresh ? { refresh: true } : {}),
    ...(opts.target && operation !== 'destroy' ? { target: [...opts.target] } : {}),
    color: 'never' as const,
  };
  try {
    if (operation === 'up') await stack.up(common);
    else if (operation === 'preview') await stack.preview(common);
    else await stack.destroy(common);
  } catch (err) {
    const typed = classifyPulumiError(err, { stack: stack.name, operation, ...(opts.cluster ? { cluster: opts.cluster } : {}) });
    Object.assign(typed, { changeSet: recorder.result() });
    throw typed;
  }
  return { operation, changeSet: recorder.result(), durationMs: Date.now() - started };
}
