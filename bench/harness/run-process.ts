import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

import { RssSampler } from './measure';

/** A finished child process: wall time, peak RSS of its process tree (NaN unless sampled), exit code and output. */
export interface ProcessRun {
  readonly seconds: number;
  readonly peakRssMiB: number;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runProcess}. */
export interface RunProcessOptions {
  readonly input?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Exit codes that count as success. @default [0] */
  readonly okCodes?: readonly number[];
  /**
   * Sample the RSS of the process tree this often (ms). Off by default: scanning /proc costs CPU
   * on a 2-core machine, so timed runs and memory runs are kept apart.
   */
  readonly sampleRssMs?: number;
}

/**
 * Runs a command, timing it from spawn to exit and sampling the RSS of its process tree; rejects
 * with the end of its stderr when it exits with a code not in `okCodes`.
 */
export function runProcess(cmd: string, args: readonly string[], opts: RunProcessOptions = {}): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const sampler = opts.sampleRssMs ? new RssSampler(child.pid!, opts.sampleRssMs) : undefined;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) => {
      sampler?.stop();
      reject(err);
    });
    child.on('close', (code) => {
      const seconds = (performance.now() - t) / 1000;
      const peakRssMiB = sampler?.stop() ?? NaN;
      if (!(opts.okCodes ?? [0]).includes(code ?? -1)) {
        reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`));
        return;
      }
      resolve({ seconds, peakRssMiB, code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}
