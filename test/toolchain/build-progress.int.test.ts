import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * toolchain/build.sh's progress output, run against a fake cache directory with a fake step list
 * (FLUXOPS_TOOLCHAIN_TEST_STEPS_FILE): the real toolchain is never built here.
 */

const REPO = path.join(__dirname, '..', '..');
const BUILD = path.join(REPO, 'toolchain', 'build.sh');

/** The cache key build.sh derives from a pins file (sha256 of its significant lines, 12 hex digits). */
function pinsKey(file: string): string {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => !/^\s*(#|$)/.test(l));
  return createHash('sha256').update(lines.join('\n') + '\n').digest('hex').slice(0, 12);
}
const KEY = pinsKey(path.join(REPO, 'toolchain', 'versions.env'));
const FLUX_KEY = pinsKey(path.join(REPO, 'toolchain', 'flux-versions.env'));
const ACTIONLINT_VERSION = /^ACTIONLINT_VERSION=(\S+)$/m.exec(fs.readFileSync(path.join(REPO, 'toolchain', 'lint-versions.env'), 'utf8'))![1];

const FAKE_STEPS = `
steps=(fetch compile package)
typical_seconds=([fetch]=61 [compile]=320 [package]=3)
build_fetch() { for i in $(seq 1 1000); do echo "go: downloading example.com/module$i v0.$i.0"; done; }
build_compile() {
  if [ -n "\${FAIL_COMPILE:-}" ]; then
    for i in $(seq 1 100); do echo "compile noise line $i"; done
    echo "./main.go:12:2: undefined: kube.NewThing" >&2
    exit 7
  fi
  echo "compiled"
  sleep "\${COMPILE_SECONDS:-0}"
}
build_package() { if [ -n "\${FAIL_SILENT:-}" ]; then exit 4; fi; echo "packaged"; }
`;

describe('toolchain/build.sh progress', () => {
  let tmp: string;
  let root: string;
  let stepsFile: string;

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-build-progress-'));
    root = path.join(tmp, 'cache', 'toolchain', KEY);
    stepsFile = path.join(tmp, 'steps.sh');
    fs.writeFileSync(stepsFile, FAKE_STEPS);
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const build = (args: string[] = [], env: Record<string, string> = {}) => {
    const r = spawnSync('bash', [BUILD, ...args], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, FLUXOPS_CACHE_DIR: path.join(tmp, 'cache'), FLUXOPS_TOOLCHAIN_TEST_STEPS_FILE: stepsFile, FLUXOPS_PROGRESS: 'plain', ...env },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stderr.split('\n').filter((l) => l !== '') };
  };

  it('prints one line per step start and end, with n/m, the typical duration and the log path; output goes to the log', () => {
    const r = build();
    expect(r.status).toBe(0);
    const log = path.join(root, 'build.log');
    expect(r.lines.map((l) => l.replace(/done in \d+ s/, 'done in N s').replace(/ready in \d+ s/, 'ready in N s'))).toEqual([
      `[toolchain] building 3 of 3 steps into ${root} (typically ~6 min in total on 2 cores; once per machine)`,
      `[toolchain] build output: ${log}`,
      '[toolchain 1/3] fetch: building... (typically ~1 min)',
      '[toolchain 1/3] fetch: done in N s',
      '[toolchain 2/3] compile: building... (typically ~5 min)',
      '[toolchain 2/3] compile: done in N s',
      '[toolchain 3/3] package: building... (typically a few seconds)',
      '[toolchain 3/3] package: done in N s',
      `[toolchain] ready in N s: ${path.join(root, 'bin')}`,
    ]);
    expect(r.stdout).toBe(`${path.join(root, 'bin')}\n`);
    const text = fs.readFileSync(log, 'utf8');
    expect(text).toContain('go: downloading example.com/module1000 v0.1000.0');
    expect(text).toContain('compiled');
    for (const s of ['fetch', 'compile', 'package']) expect(fs.existsSync(path.join(root, `.done-${s}`))).toBe(true);
  });

  it('is one line on a warm cache, and silent with --quiet-if-cached', () => {
    expect(build().status).toBe(0);
    const warm = build();
    expect(warm.status).toBe(0);
    expect(warm.lines).toEqual([`[toolchain] all 3 steps cached: ${path.join(root, 'bin')}`]);
    expect(warm.stdout).toBe(`${path.join(root, 'bin')}\n`);
    const quiet = build(['--quiet-if-cached']);
    expect(quiet).toMatchObject({ status: 0, stderr: '', stdout: `${path.join(root, 'bin')}\n` });
    expect(build(['compile']).lines).toEqual([`[toolchain] compile cached: ${path.join(root, 'bin')}`]);
  });

  it('on a failing step prints the end of that step output and the log path, exits non-zero, and resumes later', () => {
    const r = build([], { FAIL_COMPILE: '1', FLUXOPS_PROGRESS_TAIL_LINES: '5' });
    expect(r.status).toBe(7);
    const log = path.join(root, 'build.log');
    expect(r.lines.slice(2).map((l) => l.replace(/(done|FAILED) (in|after) \d+ s/, '$1 $2 N s'))).toEqual([
      '[toolchain 1/3] fetch: building... (typically ~1 min)',
      '[toolchain 1/3] fetch: done in N s',
      '[toolchain 2/3] compile: building... (typically ~5 min)',
      '[toolchain 2/3] compile: FAILED after N s (exit 7); the end of its output:',
      '    compile noise line 97',
      '    compile noise line 98',
      '    compile noise line 99',
      '    compile noise line 100',
      '    ./main.go:12:2: undefined: kube.NewThing',
      `[toolchain 2/3] full log: ${log}`,
    ]);
    expect(r.stdout).toBe('');
    expect(fs.existsSync(path.join(root, '.done-fetch'))).toBe(true);
    expect(fs.existsSync(path.join(root, '.done-compile'))).toBe(false);
    expect(fs.existsSync(path.join(root, '.done-package'))).toBe(false);

    const again = build();
    expect(again.status).toBe(0);
    expect(again.lines.slice(0, 4).map((l) => l.replace(/done in \d+ s/, 'done in N s'))).toEqual([
      `[toolchain] building 2 of 3 steps into ${root} (typically ~5 min in total on 2 cores; once per machine)`,
      `[toolchain] build output: ${log}`,
      '[toolchain 1/3] fetch: cached',
      '[toolchain 2/3] compile: building... (typically ~5 min)',
    ]);
  });

  it('reports a long step as still running in plain mode, and redraws one line on a terminal', () => {
    const plain = build(['compile'], { COMPILE_SECONDS: '2.5', FLUXOPS_PROGRESS_HEARTBEAT_SECONDS: '1' });
    expect(plain.status).toBe(0);
    expect(plain.lines).toEqual(
      expect.arrayContaining(['[toolchain 1/1] compile: still building, 0:01 so far (typically ~5 min)', '[toolchain 1/1] compile: still building, 0:02 so far (typically ~5 min)']),
    );

    fs.rmSync(path.join(tmp, 'cache'), { recursive: true });
    const tty = build(['compile'], { COMPILE_SECONDS: '2.5', FLUXOPS_PROGRESS: 'tty' });
    expect(tty.status).toBe(0);
    // One line, redrawn in place with the elapsed time, then replaced by the result.
    expect(tty.stderr).toContain('[toolchain 1/1] compile: building... 0:00 (typically ~5 min)');
    expect(tty.stderr).toContain('\r\x1b[K[toolchain 1/1] compile: building... 0:02 (typically ~5 min)');
    expect(tty.stderr).toMatch(/\r\x1b\[K\[toolchain 1\/1\] compile: done in \d+ s\n/);
    expect(tty.stderr).not.toContain('still building');
  });

  it('says so when a failed step printed nothing', () => {
    const r = build(['package'], { FAIL_SILENT: '1' });
    expect(r.status).toBe(4);
    expect(r.lines.slice(-3).map((l) => l.replace(/after \d+ s/, 'after N s'))).toEqual([
      '[toolchain 1/1] package: FAILED after N s (exit 4); the end of its output:',
      '    (it printed nothing)',
      `[toolchain 1/1] full log: ${path.join(root, 'build.log')}`,
    ]);
  });

  it('refuses an unknown step', () => {
    const r = build(['kubernetes-typo']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("build.sh: unknown step 'kubernetes-typo' (steps: fetch compile package)\n");
  });

  it('knows the real steps: a complete real cache is one line, listing all thirteen', () => {
    fs.mkdirSync(root, { recursive: true });
    const cross = ['pulumi_linux_amd64', 'pulumi_kubernetes_linux_amd64', 'pulumi_linux_arm64', 'pulumi_kubernetes_linux_arm64'];
    for (const s of ['kubernetes', 'kine', 'kwok', 'kwok_stages', 'pulumi', 'pulumi_language_nodejs', 'pulumi_kubernetes', `flux_crds-${FLUX_KEY}`, `actionlint-${ACTIONLINT_VERSION}`, ...cross]) {
      fs.writeFileSync(path.join(root, `.done-${s}`), '');
    }
    // If a marker were wrong, a real step would start: a `go` that fails at once keeps it from building.
    const fakeBin = path.join(tmp, 'fakebin');
    fs.mkdirSync(fakeBin);
    fs.writeFileSync(path.join(fakeBin, 'go'), '#!/bin/sh\necho "go must not run in this test" >&2\nexit 99\n', { mode: 0o755 });
    const r = build([], { FLUXOPS_TOOLCHAIN_TEST_STEPS_FILE: '', PATH: `${fakeBin}:${process.env.PATH ?? ''}` });
    expect(r).toMatchObject({ status: 0, stdout: `${path.join(root, 'bin')}\n` });
    expect(r.lines).toEqual([`[toolchain] all 13 steps cached: ${path.join(root, 'bin')}`]);
    // The image group names only the cross builds.
    expect(build(['image'], { FLUXOPS_TOOLCHAIN_TEST_STEPS_FILE: '', PATH: `${fakeBin}:${process.env.PATH ?? ''}` }).lines).toEqual([`[toolchain] image cached: ${path.join(root, 'bin')}`]);
    fs.rmSync(path.join(root, '.done-pulumi_linux_arm64'));
    const missing = build(['image'], { FLUXOPS_TOOLCHAIN_TEST_STEPS_FILE: '', PATH: `${fakeBin}:${process.env.PATH ?? ''}` });
    expect(missing.status).toBe(99);
    expect(missing.lines[0]).toBe(`[toolchain] building 1 of 4 steps into ${root} (typically ~3 min in total on 2 cores; once per machine)`);
    const unknown = build(['imagery'], { FLUXOPS_TOOLCHAIN_TEST_STEPS_FILE: '' });
    // The bench group is opt-in: a complete cache without it is still "all cached" above.
    expect(unknown.stderr).toMatch(/^build\.sh: unknown step 'imagery' \(steps: kubernetes .* pulumi_kubernetes_linux_arm64 flux_controllers; groups: image bench\)\n$/);
  });

  it('bench: opt-in, selects only the Flux controllers, and its marker carries the Flux pins', () => {
    fs.mkdirSync(root, { recursive: true });
    const fakeBin = path.join(tmp, 'fakebin');
    fs.mkdirSync(fakeBin);
    fs.writeFileSync(path.join(fakeBin, 'go'), '#!/bin/sh\necho "go must not run in this test" >&2\nexit 99\n', { mode: 0o755 });
    const env = { FLUXOPS_TOOLCHAIN_TEST_STEPS_FILE: '', PATH: `${fakeBin}:${process.env.PATH ?? ''}` };
    // The step starts (and fails at its first `go` call: the fake go refuses).
    const missing = build(['bench'], env);
    expect(missing.status).not.toBe(0);
    expect(missing.lines[0]).toBe(`[toolchain] building 1 of 1 steps into ${root} (typically ~10 min in total on 2 cores; once per machine)`);
    expect(missing.lines[2]).toBe('[toolchain 1/1] flux_controllers: building... (typically ~10 min)');
    // A marker of other Flux pins does not count; the one of these pins does.
    fs.writeFileSync(path.join(root, '.done-flux_controllers-000000000000'), '');
    expect(build(['bench'], env).status).not.toBe(0);
    fs.writeFileSync(path.join(root, `.done-flux_controllers-${FLUX_KEY}`), '');
    expect(build(['bench'], env).lines).toEqual([`[toolchain] bench cached: ${path.join(root, 'bin')}`]);
  });

  it('actionlint: only a marker of the pinned version counts, and the step builds only actionlint', () => {
    fs.mkdirSync(root, { recursive: true });
    fs.writeFileSync(path.join(root, '.done-actionlint-v0.0.1'), '');
    const fakeBin = path.join(tmp, 'fakebin');
    fs.mkdirSync(fakeBin);
    // Records what the step asks Go for, and "builds" the binary where GOBIN says.
    fs.writeFileSync(path.join(fakeBin, 'go'), '#!/bin/sh\necho "go $* GOBIN=$GOBIN" >>"$GO_CALLS"\ntouch "$GOBIN/actionlint"\n', { mode: 0o755 });
    const calls = path.join(tmp, 'go-calls');
    const r = build(['actionlint'], { FLUXOPS_TOOLCHAIN_TEST_STEPS_FILE: '', PATH: `${fakeBin}:${process.env.PATH ?? ''}`, GO_CALLS: calls });
    expect(r.status).toBe(0);
    expect(r.lines[2]).toBe('[toolchain 1/1] actionlint: building... (typically ~20 s)');
    expect(fs.readFileSync(calls, 'utf8')).toBe(
      `go install -trimpath -ldflags -s -w github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION} GOBIN=${path.join(root, 'bin')}\n`,
    );
    expect(fs.existsSync(path.join(root, `.done-actionlint-${ACTIONLINT_VERSION}`))).toBe(true);
  });
});
