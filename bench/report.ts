/**
 * `npm run bench`: runs every benchmark module and prints one table (each figure next to the
 * baseline measured in the same run and its goal), and writes it as Markdown and JSON under
 * bench/results/ with the date, the machine, its load and the tool versions, plus the apply-time
 * plot (bench/results/apply-time.svg).
 *
 *   npm run bench                          every module, full sizes
 *   npm run bench -- --quick               smaller sizes, fewer repeats
 *   npm run bench -- --only apply,synth    a subset (names: see --list)
 *   npm run bench -- --out <dir>           another results directory
 *   npm run bench -- --list                the modules, and the standalone scripts
 *   npm run bench -- --combine a.json b.json   one report from earlier runs' JSON (each run's date and load kept)
 *   npm run bench -- pulumi-apply          one standalone script (bench/<name>.ts), its own output
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

import { readVersions } from '../toolchain/locate';
import { applyModule } from './modules/apply';
import { clusterStartModule } from './modules/cluster-start';
import { gitopsModule } from './modules/gitops';
import { synthModule } from './modules/synth';
import { tagsModule } from './modules/tags';
import { applyTimeSvg, combineReports, firstLine, parseArgs, standaloneScripts, gitDescribe, judge, machineInfo, markdownReport, textTable, type BenchModule, type BenchReport, type BenchRow, type PlotPoint } from './harness';

/** Every module, in the order they run (cheap ones first, so a short session still gets them). */
export const MODULES: readonly BenchModule[] = [synthModule, tagsModule, clusterStartModule, applyModule, gitopsModule];

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), MODULES, standaloneScripts(__dirname), path.join(__dirname, 'results'));
  if (args.list) {
    for (const m of MODULES) console.log(`${m.name.padEnd(18)} ${m.description}`);
    for (const s of standaloneScripts(__dirname)) console.log(`${s.padEnd(18)} (script: bench/${s}.ts, its own output)`);
    return;
  }
  if (args.scripts.length && !args.only) {
    // `npm run bench -- pulumi-apply`: the detailed single benchmark, as before the report existed.
    for (const s of args.scripts) {
      console.log(`== ${s}`);
      const r = spawnSync(process.execPath, ['--require', require.resolve('ts-node/register/transpile-only'), path.join(__dirname, `${s}.ts`)], { stdio: 'inherit' });
      if (r.status !== 0) process.exitCode = r.status ?? 1;
    }
    return;
  }
  if (args.combine) {
    const report = combineReports(args.combine.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as BenchReport));
    writeReport(report, args.out, `${report.machine.date.slice(0, 16).replace(/[:T]/g, '-')}-combined`);
    return;
  }
  const selected = MODULES.filter((m) => !args.only || args.only.includes(m.name));
  const started = new Date();
  const machine = machineInfo(started);
  const toolchain = readVersions();
  const versions: Record<string, string> = {
    fluxops: gitDescribe(path.join(__dirname, '..')),
    node: process.version,
    kubectl: toolchain.K8S_VERSION ?? 'unknown',
    pulumi: toolchain.PULUMI_VERSION ?? 'unknown',
    'pulumi-kubernetes': toolchain.PULUMI_K8S_VERSION ?? 'unknown',
  };
  const log = (m: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
  const rows: BenchRow[] = [];
  const plot: PlotPoint[] = [];
  const notes: Record<string, readonly string[]> = {};
  const modules: Array<{ name: string; seconds: number; error?: string }> = [];
  log(`${selected.length} benchmarks (${args.quick ? 'quick' : 'full'}), ${machine.cpus} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (const m of selected) {
    log(`${m.name}: ${m.description}`);
    const t = performance.now();
    try {
      const r = await m.run({ quick: args.quick, log: (s) => log(`${m.name}: ${s}`) });
      rows.push(...r.rows);
      plot.push(...(r.plot ?? []));
      if (r.notes?.length) notes[m.name] = r.notes;
      Object.assign(versions, r.versions ?? {});
      modules.push({ name: m.name, seconds: (performance.now() - t) / 1000 });
    } catch (err) {
      // One failed benchmark must not hide the others' figures; the failure is in the results.
      const error = firstLine(err);
      log(`${m.name} FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      rows.push({ name: `${m.name}: ${m.description}`, value: null, unit: 'count', skipped: `failed: ${error}` });
      modules.push({ name: m.name, seconds: (performance.now() - t) / 1000, error });
    }
  }
  const report: BenchReport = {
    machine: { ...machine, loadEnd: os.loadavg() },
    versions,
    mode: args.quick ? 'quick' : 'full',
    modules,
    rows: judge(rows),
    plot,
    notes,
  };
  const stamp = started.toISOString().slice(0, 16).replace(/[:T]/g, '-');
  writeReport(report, args.out, `${stamp}${args.quick ? '-quick' : ''}${args.only ? `-${args.only.join('+')}` : ''}`);
  if (modules.some((m) => m.error)) process.exitCode = 1;
}

/** Prints the table and writes `<name>.md`, `<name>.json` and, with plot points, `<name>-apply-time.svg` (and `apply-time.svg` for a full-size report) into `out`. */
function writeReport(report: BenchReport, out: string, name: string): void {
  console.log('');
  console.log(textTable(report.rows));
  fs.mkdirSync(out, { recursive: true });
  const base = path.join(out, name);
  fs.writeFileSync(`${base}.md`, markdownReport(report));
  fs.writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  const written = [`${base}.md`, `${base}.json`];
  if (report.plot.length) {
    const m = report.machine;
    const svg = applyTimeSvg(report.plot, { title: 'Apply time vs object count', subtitle: `${m.date.slice(0, 16)}Z, ${m.cpus} CPUs, load ${m.loadStart[0]!.toFixed(1)} at the start; local edge cluster; each series measured in the same run` });
    // Every run keeps its own plot; only a full-size report becomes the current apply-time.svg.
    const files = [`${base}-apply-time.svg`, ...(report.mode === 'full' ? [path.join(out, 'apply-time.svg')] : [])];
    for (const f of files) fs.writeFileSync(f, svg);
    written.push(...files);
  }
  console.log('');
  console.log(`written: ${written.map((w) => path.relative(process.cwd(), w)).join(', ')}`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  });
}
