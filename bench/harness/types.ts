/**
 * The contract between `bench/report.ts` and its benchmark modules: each module measures and
 * returns typed rows; the report adds the verdicts, prints one table and writes the results.
 */

/** Units a figure can be in. */
export type BenchUnit = 's' | 'ms' | 'MiB' | 'writes' | 'count';

/**
 * A goal a figure is judged against: an absolute ceiling in the row's unit, or a ceiling on the
 * ratio to the baseline measured in the same run (`value / baseline <= max`).
 */
export type BenchGoal =
  | { readonly kind: 'max'; readonly value: number }
  | { readonly kind: 'ratio'; readonly max: number };

/** One figure of the table. */
export interface BenchRow {
  /** What was measured, with its size ("first apply, 100 objects"). */
  readonly name: string;
  /** The measured figure; `null` when it was not measured (then `skipped` says why). */
  readonly value: number | null;
  readonly unit: BenchUnit;
  /** The same work done by the baseline tool in the same run, in the row's unit. */
  readonly baseline?: number;
  /** Which tool the baseline is ("kubectl apply --server-side", "Flux v2.9.5"). */
  readonly baselineName?: string;
  readonly goal?: BenchGoal;
  /** Set by the module only when the verdict needs more than the goal (for example "and 0 writes"); else derived from the goal. */
  readonly met?: boolean;
  /** One line of context: runs, phases, what the goal also requires. */
  readonly detail?: string;
  /** Why the row has no value (not run in this mode, tool missing, failed). */
  readonly skipped?: string;
}

/** A point of the apply-time plot. */
export interface PlotPoint {
  readonly series: string;
  readonly objects: number;
  readonly seconds: number;
}

/** What a module hands back. */
export interface BenchResult {
  readonly rows: readonly BenchRow[];
  readonly plot?: readonly PlotPoint[];
  /** Where the time goes, tool versions used, anything the table cannot say. */
  readonly notes?: readonly string[];
  /** Versions of the tools this module ran (name -> version). */
  readonly versions?: Readonly<Record<string, string>>;
}

/** What every module gets from the report. */
export interface BenchContext {
  /** Smaller sizes and fewer repeats (`--quick`). */
  readonly quick: boolean;
  /** Progress on stderr (never part of the results). */
  log(message: string): void;
}

/** One benchmark of the report (`npm run bench -- --only <name>`). */
export interface BenchModule {
  /** Kebab-case name used by `--only`. */
  readonly name: string;
  /** One line: what it measures against what. */
  readonly description: string;
  run(ctx: BenchContext): Promise<BenchResult>;
}
