import { FluxOpsError } from '../errors';

/** Output formats of commands that report results. */
export type OutputFormat = 'text' | 'json';

/** Parses `--output`; a wrong value is a usage error naming the flag. */
export function outputFormat(value: string, allowed: readonly string[] = ['text', 'json']): string {
  if (!allowed.includes(value)) throw new UsageError('--output', value, `expected one of ${allowed.join(', ')}`);
  return value;
}

/** A command-line flag with a value the command cannot use. */
export class UsageError extends FluxOpsError {
  override readonly name = 'UsageError';
  constructor(
    readonly flag: string,
    readonly value: unknown,
    readonly reason: string,
  ) {
    super('usage', `${flag}: ${reason}, got ${JSON.stringify(value)}`);
  }
}

/** Prints a result as pretty JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Parses repeated `--fleet-env NAME=VALUE` flags. */
export function parseFleetEnv(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = eq > 0 ? pair.slice(0, eq) : '';
    if (!/^FLEET_[A-Z0-9_]+$/.test(name)) throw new UsageError('--fleet-env', pair, 'expected FLEET_NAME=value (only FLEET_* variables reach fleet code)');
    out[name] = pair.slice(eq + 1);
  }
  return out;
}

/** Commander collector for repeatable options. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
