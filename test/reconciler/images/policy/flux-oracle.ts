import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** One question for the Go oracle (see flux-parity/main.go). */
export type OracleCase =
  | { op: 'policy'; kind: 'semver'; range: string; tags: string[]; pattern?: string; extract?: string }
  | { op: 'policy'; kind: 'alphabetical' | 'numerical'; order: 'asc' | 'desc'; tags: string[]; pattern?: string; extract?: string }
  | { op: 'regex'; pattern: string; extract: string; inputs: string[] }
  | { op: 'float'; inputs: string[] }
  | { op: 'semver'; range: string; includePre: boolean; inputs: string[] };

/** The oracle's answer to one case. */
export interface OracleAnswer {
  error?: string;
  latest?: string;
  ties?: string[];
  results?: Array<{ match?: boolean; expanded?: string; error?: string; bits?: string; valid?: boolean; satisfies?: boolean }>;
  sorted?: string[];
}

/** The Go program compiled once for a test file, in a temp dir (module and build caches shared). */
export interface FluxOracle {
  ask(cases: OracleCase[]): Promise<OracleAnswer[]>;
  stop(): Promise<void>;
}

const SOURCE_DIR = path.join(__dirname, 'flux-parity');

/** Copies flux-parity/ into a temp dir and builds it with the machine's Go (about 2 s warm, 20 s cold). */
export async function buildFluxOracle(): Promise<FluxOracle> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'fluxops-flux-parity-'));
  try {
    for (const f of await fs.readdir(SOURCE_DIR)) {
      if (f.endsWith('.go') || f === 'go.mod' || f === 'go.sum') await fs.copyFile(path.join(SOURCE_DIR, f), path.join(dir, f));
    }
    const bin = path.join(dir, 'flux-parity');
    await execFileAsync('go', ['build', '-o', bin, '.'], { cwd: dir, timeout: 300_000, env: { ...process.env, GOFLAGS: '-mod=readonly -buildvcs=false' } });
    return startOracle(bin, dir);
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Runs the oracle as one long-lived process: a line of cases in, a line of answers out. */
function startOracle(bin: string, dir: string): FluxOracle {
  const child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (b: Buffer) => stderr.push(b));
  const waiting: Array<{ resolve: (a: OracleAnswer[]) => void; reject: (e: Error) => void }> = [];
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      waiting.shift()?.resolve(JSON.parse(line) as OracleAnswer[]);
    }
  });
  child.once('exit', (code) => {
    const err = new Error(`flux-parity exited ${code}: ${Buffer.concat(stderr).toString()}`);
    for (const w of waiting.splice(0)) w.reject(err);
  });
  return {
    ask: (cases) =>
      new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        child.stdin.write(`${JSON.stringify(cases)}\n`);
      }),
    async stop() {
      child.stdin.end();
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
