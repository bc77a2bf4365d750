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

describe('fluxops demo (the README quick start main job: the whole mission)', () => {
  it('CI pushes an image; FluxOps picks the multi-arch tag, commits it, rolls it out on arm64, refuses the amd64-only tag; everything is stopped after', async () => {
    const { stdout } = await run(FLUXOPS, ['demo'], { maxBuffer: 32 << 20 });
    for (let i = 1; i <= 7; i++) expect(stdout).toMatch(new RegExp(`^${i}/7 `, 'm'));
    // the automation's commits are in the remote
    expect(stdout).toMatch(/^\s+[0-9a-f]{7} FluxOps Bot: /m);
    // the gateway pods run the new image by digest, on the arm64 nodes only
    const pods = stdout.split('\n').filter((l) => /^\s+pod sensor-gateway-/.test(l));
    expect(pods.length).toBeGreaterThanOrEqual(2);
    for (const l of pods) expect(l).toMatch(/on edge-arm64-[12]: 127\.0\.0\.1:\d+\/edge\/sensor-gateway:1\.4\.3@sha256:[0-9a-f]{12}\.\.\./);
    // the amd64-only tag is refused, with the reason
    expect(stdout).toMatch(/refused sensor-gateway:1\.5\.0: .*linux\/amd64.*linux\/arm64|refused sensor-gateway:1\.5\.0: .*linux\/arm64.*linux\/amd64/);
    expect(stdout).toMatch(/image push -> pods running the new digest on arm64: \d+\.\d s/);
    expect(await serversRunning()).toBe('');
  }, 600_000);
});
