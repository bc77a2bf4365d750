import * as path from 'node:path';

import { BenchArgsError, applyTimeSvg, combineReports, judge, markdownReport, parseArgs, textTable, type BenchModule, type BenchReport } from '../../bench/harness';

const mod = (name: string): BenchModule => ({ name, description: name, run: async () => ({ rows: [] }) });
const modules = [mod('synth'), mod('apply'), mod('gitops')];

describe('bench report: command line', () => {
  it('defaults to every module, full sizes, the given results directory', () => {
    expect(parseArgs([], modules, [], '/r')).toEqual({ quick: false, list: false, out: '/r', scripts: [] });
  });
  it('--only takes a comma list and repeats; positional module names count too; --quick and --out', () => {
    expect(parseArgs(['--only', 'synth,apply', '--quick', 'gitops', '--out', 'x'], modules, [], '/r')).toEqual({ quick: true, list: false, out: path.resolve('x'), scripts: [], only: ['synth', 'apply', 'gitops'] });
    expect(parseArgs(['--only=apply'], modules, [], '/r').only).toEqual(['apply']);
  });
  it('a positional name of a standalone script runs that script', () => {
    expect(parseArgs(['pulumi-apply'], modules, ['pulumi-apply'], '/r')).toMatchObject({ scripts: ['pulumi-apply'] });
  });
  it('rejects unknown names and options, and a flag without its value, naming them', () => {
    expect(() => parseArgs(['--only', 'nope'], modules, ['pulumi-apply'], '/r')).toThrow(expect.objectContaining({ code: 'bench-args', argument: 'nope' }));
    expect(() => parseArgs(['--fast'], modules, [], '/r')).toThrow(BenchArgsError);
    expect(() => parseArgs(['--only'], modules, [], '/r')).toThrow(/--only needs a value/);
    expect(() => parseArgs(['--out', '--quick'], modules, [], '/r')).toThrow(expect.objectContaining({ argument: '--out' }));
  });
});

describe('bench report: verdicts', () => {
  it('an absolute goal: met at or under the ceiling, not met above', () => {
    const [a, b] = judge([
      { name: 'a', value: 1000, unit: 'ms', goal: { kind: 'max', value: 1000 } },
      { name: 'b', value: 1001, unit: 'ms', goal: { kind: 'max', value: 1000 } },
    ]);
    expect([a!.met, b!.met]).toEqual([true, false]);
  });
  it('a ratio goal is judged against the baseline of the same run, and the ratio is kept', () => {
    const [a, b] = judge([
      { name: 'a', value: 3, unit: 's', baseline: 2, goal: { kind: 'ratio', max: 2 } },
      { name: 'b', value: 5, unit: 's', baseline: 2, goal: { kind: 'ratio', max: 2 } },
    ]);
    expect(a).toMatchObject({ met: true, ratio: 1.5 });
    expect(b).toMatchObject({ met: false, ratio: 2.5 });
  });
  it("a module's extra condition can only make a row stricter, never pass a row over its goal", () => {
    const [a, b] = judge([
      { name: 'a', value: 0.1, unit: 's', baseline: 1, goal: { kind: 'ratio', max: 1 }, met: false },
      { name: 'b', value: 2, unit: 's', baseline: 1, goal: { kind: 'ratio', max: 1 }, met: true },
    ]);
    expect([a!.met, b!.met]).toEqual([false, false]);
  });
  it('rows without a value or without a baseline for a ratio goal are not judged', () => {
    const [a, b] = judge([
      { name: 'a', value: null, unit: 's', goal: { kind: 'max', value: 1 }, skipped: 'not run in --quick' },
      { name: 'b', value: 1, unit: 's', goal: { kind: 'ratio', max: 1 } },
    ]);
    expect(a!.met).toBeUndefined();
    expect(b!.met).toBeUndefined();
  });
});

describe('bench report: rendering', () => {
  const rows = judge([
    { name: 'first apply, 100 objects', value: 8.26, unit: 's', baseline: 2.37, baselineName: 'kubectl apply --server-side', goal: { kind: 'ratio', max: 2 }, detail: 'one run' },
    { name: 'synthesis | 100 apps', value: 444, unit: 'ms', goal: { kind: 'max', value: 1000 } },
    { name: 'first apply, 1000 objects', value: null, unit: 's', skipped: 'not run: --quick' },
  ]);
  it('prints "not met" for a missed goal, "met" otherwise, and why a row was not run', () => {
    const text = textTable(rows).split('\n');
    expect(text[0]).toMatch(/^figure +FluxOps +baseline, same run +ratio +goal +verdict$/);
    expect(text[2]).toMatch(/^first apply, 100 objects +8\.26 s +2\.37 s \(kubectl apply --server-side\) +3\.49x +<= 2x baseline +not met$/);
    expect(text[3]).toMatch(/444 ms +<= 1000 ms +met$/);
    expect(text[4]).toMatch(/not run: not run: --quick$/);
  });
  it('writes Markdown with the machine, its load, the versions, and escaped cells', () => {
    const report: BenchReport = {
      machine: { date: '2026-11-26T12:00:00.000Z', hostname: 'vm', cpus: 2, cpuModel: 'Xeon', memoryMiB: 24000, node: 'v20.20.2', loadStart: [9.5, 8, 7], loadEnd: [10, 9, 8] },
      versions: { kubectl: 'v1.36.3' },
      mode: 'full',
      modules: [{ name: 'apply', seconds: 120 }],
      rows,
      plot: [],
      notes: { apply: ['where the time goes'] },
    };
    const md = markdownReport(report);
    expect(md).toContain('load average (1/5/15 min) at the start: 9.50 / 8.00 / 7.00; at the end: 10.00 / 9.00 / 8.00');
    expect(md).toContain('- versions: kubectl v1.36.3');
    expect(md).toContain('| first apply, 100 objects | 8.26 s | 2.37 s (kubectl apply --server-side) | 3.49x | <= 2x baseline | **not met** |');
    expect(md).toContain('| synthesis \\| 100 apps |');
    expect(md).toContain('## apply\n\n- where the time goes');
  });
  it('plots each series as a line of points on log axes, with a legend', () => {
    const svg = applyTimeSvg(
      [
        { series: 'kubectl', objects: 10, seconds: 0.5 },
        { series: 'kubectl', objects: 1000, seconds: 5 },
        { series: 'FluxOps', objects: 10, seconds: 1 },
        { series: 'FluxOps', objects: 1000, seconds: 10 },
      ],
      { title: 'apply <time>' },
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(4);
    expect(svg).toContain('apply &lt;time&gt;');
    // Decade ticks 10, 100, 1000 on x; 0.1 .. 10 on y.
    for (const t of ['>10<', '>100<', '>1000<', '>0.1<', '>1<']) expect(svg).toContain(t);
    // Log scale: 10 -> 100 -> 1000 are equally spaced.
    const xs = [...svg.matchAll(/<text x="([0-9.]+)" y="[0-9.]+" text-anchor="middle">(10|100|1000)<\/text>/g)].map((m) => Number(m[1]));
    expect(xs[1]! - xs[0]!).toBeCloseTo(xs[2]! - xs[1]!, 0);
  });
});

describe('bench report: combining runs', () => {
  const run = (date: string, load: number, name: string, value: number): BenchReport => ({
    machine: { date, hostname: 'vm', cpus: 2, cpuModel: 'Xeon', memoryMiB: 1, node: 'v20', loadStart: [load, 0, 0], loadEnd: [load + 1, 0, 0] },
    versions: { [name]: '1' },
    mode: 'full',
    modules: [{ name, seconds: 1 }],
    rows: [{ name, value, unit: 's', goal: { kind: 'max', value: 1 } }],
    plot: [{ series: name, objects: 10, seconds: value }],
    notes: { [name]: ['n'] },
  });
  it('keeps every row, point and note in run order, each run with its own date and load, and judges again', () => {
    const c = combineReports([run('2026-11-26T12:00:00Z', 3, 'a', 0.5), run('2026-11-26T13:00:00Z', 9, 'b', 2)]);
    expect(c.rows.map((r) => [r.name, r.met])).toEqual([['a', true], ['b', false]]);
    expect(c.plot.map((p) => p.series)).toEqual(['a', 'b']);
    expect(c.runs!.map((r) => [r.date, r.loadStart[0], r.loadEnd[0], r.modules])).toEqual([['2026-11-26T12:00:00Z', 3, 4, ['a']], ['2026-11-26T13:00:00Z', 9, 10, ['b']]]);
    expect(c.machine).toMatchObject({ date: '2026-11-26T12:00:00Z', loadStart: [3, 0, 0], loadEnd: [10, 0, 0] });
    expect(markdownReport(c)).toContain('- run 2026-11-26T13:00:00Z (full): b; load average at the start 9.00 / 0.00 / 0.00');
  });
  it('refuses nothing to combine', () => {
    expect(() => combineReports([])).toThrow(BenchArgsError);
  });
});
