import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * scripts/setup.sh as a newcomer sees it, run in a copy of the repository's scripts with stand-ins
 * for apt-get, dpkg-query, npm and systemctl on PATH (nothing is installed on this machine) and
 * a fake toolchain step list in a temporary cache.
 */

const REPO = path.join(__dirname, '..', '..');

const FAKES: Record<string, string> = {
  // Installed packages are listed in $FAKE_STATE/installed.
  'dpkg-query': `#!/bin/sh
for pkg; do :; done
grep -qx "$pkg" "$FAKE_STATE/installed" 2>/dev/null && { printf 'install ok installed'; exit 0; }
exit 1`,
  'apt-get': `#!/bin/sh
echo "apt-get $*" >>"$FAKE_STATE/calls"
for i in $(seq 1 200); do echo "Get:$i http://deb.debian.org/debian bookworm/main amd64 pkg$i [1234 B]"; done
if [ "$1" = install ]; then
  if [ -n "$FAKE_APT_FAIL" ]; then echo "E: Unable to locate package skopeo" >&2; exit 100; fi
  shift; for p in "$@"; do case "$p" in -*) ;; *) echo "$p" >>"$FAKE_STATE/installed";; esac; done
fi`,
  npm: `#!/bin/sh
echo "npm $*" >>"$FAKE_STATE/calls"
for i in $(seq 1 300); do echo "npm http fetch GET 200 https://registry.npmjs.org/pkg$i 12ms"; done
mkdir -p node_modules && echo '{}' > node_modules/.package-lock.json`,
  systemctl: '#!/bin/sh\nexit 3',
  sudo: '#!/bin/sh\nexec "$@"',
};

describe('scripts/setup.sh output', () => {
  let tmp: string;
  let repo: string;
  let state: string;
  let cache: string;

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-setup-'));
    repo = path.join(tmp, 'repo');
    state = path.join(tmp, 'state');
    cache = path.join(tmp, 'cache');
    for (const f of [
      'scripts/setup.sh',
      'scripts/progress.sh',
      'toolchain/build.sh',
      'toolchain/versions.env',
      'toolchain/flux-versions.env',
      'toolchain/lint-versions.env',
      'image/versions.env',
      'image/debian-packages.lock.json',
      'package-lock.json',
    ]) {
      fs.mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
      fs.copyFileSync(path.join(REPO, f), path.join(repo, f));
    }
    // Stand-in for `fluxops image fetch`: records the call and leaves the marker the real one writes.
    fs.mkdirSync(path.join(repo, 'bin'));
    fs.writeFileSync(
      path.join(repo, 'bin', 'fluxops'),
      `const fs = require('fs'), path = require('path'), crypto = require('crypto');
fs.appendFileSync(path.join(process.env.FAKE_STATE, 'calls'), 'fluxops ' + process.argv.slice(2).join(' ') + '\\n');
const key = crypto.createHash('sha256').update(fs.readFileSync('image/versions.env')).update(fs.readFileSync('image/debian-packages.lock.json')).digest('hex').slice(0, 12);
fs.mkdirSync(path.join(process.env.FLUXOPS_CACHE_DIR, 'image'), { recursive: true });
fs.writeFileSync(path.join(process.env.FLUXOPS_CACHE_DIR, 'image', '.done-inputs-' + key), '');
`,
    );
    const bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    for (const [name, text] of Object.entries(FAKES)) fs.writeFileSync(path.join(bin, name), text + '\n', { mode: 0o755 });
    fs.mkdirSync(state);
    fs.writeFileSync(path.join(state, 'installed'), 'git\nopenssl\nca-certificates\napache2-utils\nshellcheck\n');
    fs.writeFileSync(path.join(tmp, 'steps.sh'), 'steps=(kine)\ntypical_seconds=([kine]=98)\nbuild_kine() { for i in $(seq 1 500); do echo "go: downloading m$i"; done; }\n');
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const setup = (env: Record<string, string> = {}) => {
    const r = spawnSync('bash', [path.join(repo, 'scripts', 'setup.sh')], {
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...process.env,
        PATH: `${path.join(tmp, 'bin')}:${process.env.PATH ?? ''}`,
        FAKE_STATE: state,
        FAKE_APT_FAIL: '',
        FLUXOPS_CACHE_DIR: cache,
        FLUXOPS_TOOLCHAIN_TEST_STEPS_FILE: path.join(tmp, 'steps.sh'),
        FLUXOPS_PROGRESS: 'plain',
        ...env,
      },
    });
    const lines = r.stderr.split('\n').filter((l) => l !== '').map((l) => l.replace(/(done|ready|FAILED) (in|after) \d+ s/, '$1 $2 N s'));
    return { status: r.status, stderr: r.stderr, lines };
  };

  it('first run: one line per step, apt and npm output only in the log; second run: silent', () => {
    const first = setup();
    expect(first.status).toBe(0);
    const root = fs.readdirSync(path.join(cache, 'toolchain'))[0]!;
    expect(first.lines).toEqual([
      `[setup] output of the steps below: ${path.join(cache, 'setup.log')}`,
      '[setup] Debian packages (docker-registry skopeo qemu-user-static): installing...',
      '[setup] Debian packages (docker-registry skopeo qemu-user-static): done in N s',
      '[setup] node_modules (npm ci): installing...',
      '[setup] node_modules (npm ci): done in N s',
      `[toolchain] building 1 of 1 steps into ${path.join(cache, 'toolchain', root)} (typically ~2 min in total on 2 cores; once per machine)`,
      `[toolchain] build output: ${path.join(cache, 'toolchain', root, 'build.log')}`,
      '[toolchain 1/1] kine: building... (typically ~2 min)',
      '[toolchain 1/1] kine: done in N s',
      `[toolchain] ready in N s: ${path.join(cache, 'toolchain', root, 'bin')}`,
    ]);
    const log = fs.readFileSync(path.join(cache, 'setup.log'), 'utf8');
    expect(log).toContain('Get:200 http://deb.debian.org/debian bookworm/main amd64 pkg200');
    expect(log).toContain('npm http fetch GET 200 https://registry.npmjs.org/pkg300');
    expect(fs.readFileSync(path.join(state, 'calls'), 'utf8')).toBe(
      'apt-get update -qq\napt-get install -y -qq --no-install-recommends docker-registry skopeo qemu-user-static\nnpm ci --no-audit --no-fund --loglevel=error\nfluxops image fetch --quiet-if-cached\n',
    );

    const second = setup();
    expect(second).toMatchObject({ status: 0, stderr: '' });
    // The image inputs' marker spares starting Node at all.
    expect(fs.readFileSync(path.join(state, 'calls'), 'utf8')).not.toMatch(/fluxops image fetch[^]*fluxops image fetch/);
  });

  it('a failing apt step shows its output and the log path and stops setup', () => {
    const r = setup({ FAKE_APT_FAIL: '1', FLUXOPS_PROGRESS_TAIL_LINES: '3' });
    expect(r.status).toBe(100);
    expect(r.lines).toEqual([
      `[setup] output of the steps below: ${path.join(cache, 'setup.log')}`,
      '[setup] Debian packages (docker-registry skopeo qemu-user-static): installing...',
      '[setup] Debian packages (docker-registry skopeo qemu-user-static): FAILED after N s (exit 100); the end of its output:',
      '    Get:199 http://deb.debian.org/debian bookworm/main amd64 pkg199 [1234 B]',
      '    Get:200 http://deb.debian.org/debian bookworm/main amd64 pkg200 [1234 B]',
      '    E: Unable to locate package skopeo',
      `[setup] full log: ${path.join(cache, 'setup.log')}`,
    ]);
    // Nothing after the failed step ran.
    expect(fs.readFileSync(path.join(state, 'calls'), 'utf8')).not.toContain('npm');
    expect(fs.existsSync(path.join(cache, 'toolchain'))).toBe(false);
  });
});
