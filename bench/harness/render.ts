import type { BenchGoal, BenchUnit, PlotPoint } from './types';
import type { JudgedRow } from './verdict';

/** Where and under which conditions the report was measured. */
export interface MachineInfo {
  readonly date: string;
  readonly hostname: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryMiB: number;
  readonly node: string;
  /** 1/5/15-minute load averages when the run started and when it ended. */
  readonly loadStart: readonly number[];
  readonly loadEnd: readonly number[];
}

/** The whole report as written to `bench/results/<stamp>.json`. */
export interface BenchReport {
  readonly machine: MachineInfo;
  readonly versions: Readonly<Record<string, string>>;
  readonly mode: 'full' | 'quick';
  readonly modules: ReadonlyArray<{ readonly name: string; readonly seconds: number; readonly error?: string }>;
  readonly rows: readonly JudgedRow[];
  readonly plot: readonly PlotPoint[];
  readonly notes: Readonly<Record<string, readonly string[]>>;
  /** When the report combines several runs (`--combine`): when each ran, under which load, what. */
  readonly runs?: ReadonlyArray<{ readonly date: string; readonly mode: string; readonly loadStart: readonly number[]; readonly loadEnd: readonly number[]; readonly modules: readonly string[] }>;
}

/** A figure in its unit with sensible precision. */
export function formatValue(value: number, unit: BenchUnit): string {
  switch (unit) {
    case 's':
      return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} s`;
    case 'ms':
      return `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ms`;
    case 'MiB':
      return `${value.toFixed(0)} MiB`;
    case 'writes':
      return `${value} writes`;
    case 'count':
      return String(value);
  }
}

function formatGoal(goal: BenchGoal | undefined, unit: BenchUnit): string {
  if (!goal) return '';
  return goal.kind === 'max' ? `<= ${formatValue(goal.value, unit)}` : `<= ${goal.max}x baseline`;
}

function verdict(row: JudgedRow): string {
  if (row.value === null) return `not run: ${row.skipped ?? 'unknown reason'}`;
  if (row.met === undefined) return row.goal ? 'cannot judge' : '';
  return row.met ? 'met' : 'not met';
}

/** The table's cells for one row: figure, value, baseline, ratio, goal, verdict. */
function cells(row: JudgedRow): string[] {
  return [
    row.name,
    row.value === null ? '-' : formatValue(row.value, row.unit),
    row.baseline === undefined ? '' : `${formatValue(row.baseline, row.unit)} (${row.baselineName ?? 'baseline'})`,
    row.ratio === undefined ? '' : `${row.ratio.toFixed(2)}x`,
    formatGoal(row.goal, row.unit),
    verdict(row),
  ];
}

const HEADER = ['figure', 'FluxOps', 'baseline, same run', 'ratio', 'goal', 'verdict'];

/** A plain-text table for the terminal. */
export function textTable(rows: readonly JudgedRow[]): string {
  const table = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(cells(r)))].join('\n');
}

const md = (s: string) => s.replace(/\|/g, '\\|');

/** The Markdown results file: conditions, the table, details and notes. */
export function markdownReport(report: BenchReport): string {
  const m = report.machine;
  const load = (l: readonly number[]) => l.map((x) => x.toFixed(2)).join(' / ');
  const out: string[] = [
    `# Benchmarks, ${m.date}`,
    '',
    `- machine: ${m.hostname}, ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryMiB} MiB; Node ${m.node}; mode: ${report.mode}`,
    `- load average (1/5/15 min) at the start: ${load(m.loadStart)}; at the end: ${load(m.loadEnd)} (the machine is shared with other workers)`,
    `- versions: ${Object.entries(report.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    ...(report.runs ?? []).map((r) => `- run ${r.date} (${r.mode}): ${r.modules.join(', ')}; load average at the start ${load(r.loadStart)}, at the end ${load(r.loadEnd)}`),
    `- modules: ${report.modules.map((x) => `${x.name} (${x.seconds.toFixed(0)} s${x.error ? `, FAILED: ${md(x.error)}` : ''})`).join(', ')}`,
    '',
    `| ${HEADER.join(' | ')} |`,
    `| ${HEADER.map(() => '---').join(' | ')} |`,
    ...report.rows.map((r) => `| ${cells(r).map((c) => md(c === 'not met' ? '**not met**' : c)).join(' | ')} |`),
    '',
    '## Details',
    '',
    ...report.rows.filter((r) => r.detail).map((r) => `- ${md(r.name)}: ${r.detail}`),
  ];
  for (const [name, notes] of Object.entries(report.notes)) {
    if (notes.length === 0) continue;
    out.push('', `## ${name}`, '', ...notes.map((n) => `- ${n}`));
  }
  return `${out.join('\n')}\n`;
}
