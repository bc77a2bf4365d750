import { BenchArgsError } from './args';
import { judge } from './verdict';
import type { BenchReport } from './render';

/**
 * One report from several runs' JSON reports (for example the cheap modules and the long GitOps
 * run, measured one after the other on a shared machine): rows, plot points and notes in run
 * order; each run's date, mode and load kept in `runs`. Verdicts are settled again.
 */
export function combineReports(reports: readonly BenchReport[]): BenchReport {
  if (reports.length === 0) throw new BenchArgsError('--combine', 'combining reports needs at least one report');
  const first = reports[0]!;
  const last = reports[reports.length - 1]!;
  const runs = reports.flatMap((r) => r.runs ?? [{ date: r.machine.date, mode: r.mode, loadStart: r.machine.loadStart, loadEnd: r.machine.loadEnd, modules: r.modules.map((m) => m.name) }]);
  return {
    machine: { ...first.machine, loadEnd: last.machine.loadEnd },
    versions: Object.assign({}, ...reports.map((r) => r.versions)) as Record<string, string>,
    mode: reports.every((r) => r.mode === 'full') ? 'full' : 'quick',
    modules: reports.flatMap((r) => r.modules),
    rows: judge(reports.flatMap((r) => r.rows)),
    plot: reports.flatMap((r) => r.plot),
    notes: Object.assign({}, ...reports.map((r) => r.notes)) as Record<string, readonly string[]>,
    runs,
  };
}
