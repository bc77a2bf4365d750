import { spawn } from 'node:child_process';

import { ImageToolError } from './errors';

/** Output of a tool run. */
export interface ToolOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runTool}. */
export interface RunToolOptions {
  readonly cwd?: string;
  /** Environment of the tool. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Runs an external tool of the image build (npm, apt-get, dpkg-deb, tar, git, skopeo) and
 * collects its output; a non-zero exit becomes an {@link ImageToolError} carrying its stderr.
 */
export function runTool(tool: string, args: readonly string[], opts: RunToolOptions = {}): Promise<ToolOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, [...args], { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e: NodeJS.ErrnoException) => reject(new ImageToolError(tool, args, null, e.code === 'ENOENT' ? `${tool} is not installed (see scripts/setup.sh)` : e.message)));
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve({ stdout, stderr });
      else reject(new ImageToolError(tool, args, code, stderr || stdout));
    });
  });
}
