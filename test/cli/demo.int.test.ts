import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const FLUXOPS = path.join(__dirname, '..', '..', 'bin', 'fluxops');

function serversRunning(): Promise<string> {
  return run('ps', ['-eo', 'args']).then(({ stdout }) =>
    stdout.split('\n').filter((l) => /fluxops-demo-/.test(l) && /kube-apiserver|kine|kwok|docker-registry/.test(l)).join('\n'),
  );
}

describe('fluxops demo (the README quick start main job)', () => {
  it('deploys the example fleet to arm64 nodes and stops everything it started', async () => {
    const { stdout } = await run(FLUXOPS, ['demo'], { maxBuffer: 32 << 20 });
    expect(stdout).toMatch(/5\/5 the apps run on the arm64 nodes/);
    const podLines = stdout.split('\n').filter((l) => /^\s+(sensor-gateway|mqtt-broker|dashboard)-/.test(l));
    expect(podLines.length).toBeGreaterThanOrEqual(4);
    for (const l of podLines) {
      expect(l).toMatch(/Running/);
      expect(l).toMatch(/edge-arm64-[12]/);
    }
    expect(await serversRunning()).toBe('');
  }, 300_000);
});
