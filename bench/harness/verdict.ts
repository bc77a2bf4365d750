import type { BenchGoal, BenchRow } from './types';

/** A row with its verdict settled: `met` is undefined only when there is no goal or no value. */
export interface JudgedRow extends BenchRow {
  /** `value / baseline`, when both exist. */
  readonly ratio?: number;
}

/** Whether `row` meets `goal` (undefined when it cannot be judged: no value, or a ratio goal without baseline). */
export function meetsGoal(row: BenchRow, goal: BenchGoal): boolean | undefined {
  if (row.value === null) return undefined;
  if (goal.kind === 'max') return row.value <= goal.value;
  if (row.baseline === undefined || row.baseline <= 0) return undefined;
  return row.value / row.baseline <= goal.max;
}

/**
 * Settles each row's verdict: a module's own `met` (a goal with extra conditions) is kept, but
 * only ever made stricter by the goal itself, so a row can never read "met" above its goal.
 */
export function judge(rows: readonly BenchRow[]): JudgedRow[] {
  return rows.map((row) => {
    const ratio = row.value !== null && row.baseline !== undefined && row.baseline > 0 ? row.value / row.baseline : undefined;
    const fromGoal = row.goal ? meetsGoal(row, row.goal) : undefined;
    const met = row.value === null ? undefined : fromGoal === false ? false : (row.met ?? fromGoal);
    return { ...row, ...(ratio !== undefined ? { ratio } : {}), ...(met !== undefined ? { met } : {}) };
  });
}
