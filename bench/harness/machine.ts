import { execFileSync } from 'node:child_process';
import * as os from 'node:os';

import type { MachineInfo } from './render';

/** Date, host, CPUs, memory, Node and the load average now (the end load is filled in later). */
export function machineInfo(date: Date): MachineInfo {
  const load = os.loadavg();
  return {
    date: date.toISOString(),
    hostname: os.hostname(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryMiB: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    loadStart: load,
    loadEnd: load,
  };
}

/** The short commit of the checkout the benchmarks ran from, with `-dirty` when it has changes. */
export function gitDescribe(cwd: string): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty', '--abbrev=12'], { cwd, encoding: 'utf8' }).trim();
  } catch (err) {
    return `unknown (${(err as Error).message.split('\n')[0]})`;
  }
}
