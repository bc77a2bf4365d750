import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { readClusterState } from '../../dev/cluster';
import { isAlive } from '../../dev/process';
import { locateToolchain } from '../../dev/toolchain';

const run = promisify(execFile);
const FLUXOPS = path.join(__dirname, '..', '..', 'bin', 'fluxops');

describe('fluxops dev up / status / down', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-devcli-'));

  afterAll(async () => {
    // Whatever happened above, leave nothing running.
    await run(FLUXOPS, ['dev', 'down', '--state-dir', stateDir, '--purge']).catch(() => undefined);
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('starts a detached cluster usable with kubectl, reports it, and stops every process', async () => {
    const up = await run(FLUXOPS, ['dev', 'up', '--state-dir', stateDir]);
    expect(up.stdout).toContain(`export KUBECONFIG=${path.join(stateDir, 'kubeconfig')}`);

    // The CLI has exited; the cluster keeps running and answers kubectl with the kubeconfig.
    const kubectl = locateToolchain({ check: false }).bin('kubectl');
    const nodes = await run(kubectl, ['--kubeconfig', path.join(stateDir, 'kubeconfig'), 'get', 'nodes', '-l', 'kubernetes.io/arch=arm64', '-o', 'name']);
    expect(nodes.stdout.trim().split('\n').sort()).toEqual(['node/edge-arm64-1', 'node/edge-arm64-2']);

    const status = await run(FLUXOPS, ['dev', 'status', '--state-dir', stateDir]);
    expect(status.stdout).toMatch(/running\tkube-apiserver/);

    const state = readClusterState(stateDir)!;
    await expect(run(FLUXOPS, ['dev', 'up', '--state-dir', stateDir])).rejects.toThrow(/already running/);

    const down = await run(FLUXOPS, ['dev', 'down', '--state-dir', stateDir]);
    expect(down.stdout).toMatch(/stopped: kwok, kube-scheduler, kube-controller-manager, kube-apiserver, kine/);
    for (const p of state.processes) expect(isAlive(p.pid)).toBe(false);
    await expect(run(FLUXOPS, ['dev', 'status', '--state-dir', stateDir])).rejects.toMatchObject({ code: 3 });
  }, 180_000);
});
