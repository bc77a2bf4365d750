import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { isPortOpen } from '../../dev/net';
import { isAlive } from '../../dev/process';
import { readClusterState, startLocalCluster, type LocalCluster } from '../../dev/cluster';

function deployment(name: string, arch: string, replicas: number): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: [arch] }] }],
              },
            },
          },
          containers: [{ name: 'app', image: `registry.local/${name}:1.0.0` }],
        },
      },
    },
  });
}

const portOpen = (server: string) => isPortOpen(Number(new URL(server).port));

describe('local edge cluster', () => {
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await startLocalCluster();
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('reports the pinned Kubernetes version and arm64 + amd64 nodes', async () => {
    expect(cluster.version).toBe('v1.36.3');
    const version = JSON.parse(await cluster.kubectl(['version', '-o', 'json']));
    expect(version.serverVersion.gitVersion).toBe('v1.36.3');
    const nodes = JSON.parse(await cluster.kubectl(['get', 'nodes', '-o', 'json'])).items as any[];
    const byArch = (arch: string) => nodes.filter((n) => n.metadata.labels['kubernetes.io/arch'] === arch).map((n) => n.metadata.name);
    expect(byArch('arm64')).toHaveLength(2);
    expect(byArch('amd64')).toHaveLength(1);
    for (const n of nodes) {
      expect(n.status.conditions.find((c: any) => c.type === 'Ready').status).toBe('True');
    }
  });

  it('rolls a Deployment that asks for arm64 out to Running pods on arm64 nodes only', async () => {
    await cluster.kubectl(['apply', '-f', '-'], { input: deployment('sensor', 'arm64', 4) });
    await cluster.kubectl(['rollout', 'status', 'deployment/sensor', '--timeout=120s']);
    const dep = JSON.parse(await cluster.kubectl(['get', 'deployment', 'sensor', '-o', 'json']));
    expect(dep.status.conditions.find((c: any) => c.type === 'Available').status).toBe('True');
    const pods = JSON.parse(await cluster.kubectl(['get', 'pods', '-l', 'app=sensor', '-o', 'json'])).items as any[];
    expect(pods).toHaveLength(4);
    const armNodes = cluster.nodes.filter((n) => n.arch === 'arm64').map((n) => n.name);
    for (const p of pods) {
      expect(p.status.phase).toBe('Running');
      expect(armNodes).toContain(p.spec.nodeName);
    }
  });

  it('places an amd64-only Deployment on the amd64 node', async () => {
    await cluster.kubectl(['apply', '-f', '-'], { input: deployment('legacy', 'amd64', 2) });
    await cluster.kubectl(['rollout', 'status', 'deployment/legacy', '--timeout=120s']);
    const pods = JSON.parse(await cluster.kubectl(['get', 'pods', '-l', 'app=legacy', '-o', 'json'])).items as any[];
    expect(pods.map((p) => p.spec.nodeName)).toEqual(['edge-amd64-1', 'edge-amd64-1']);
  });

  it('an admin token and RBAC are enforced: an unknown token is rejected', async () => {
    const badKubeconfig = path.join(cluster.stateDir, 'bad-kubeconfig');
    fs.writeFileSync(badKubeconfig, fs.readFileSync(cluster.kubeconfigPath, 'utf8').replace(/token: .*/, 'token: not-a-real-token'));
    await expect(cluster.kubectl(['--kubeconfig', badKubeconfig, 'get', 'nodes'])).rejects.toThrow(/Unauthorized|provide credentials/);
  });
});

describe('local edge cluster teardown', () => {
  it('stop() leaves no process and no open port behind', async () => {
    const cluster = await startLocalCluster();
    const state = readClusterState(cluster.stateDir)!;
    expect(await portOpen(cluster.endpoint.server)).toBe(true);
    await cluster.stop();
    expect(await portOpen(cluster.endpoint.server)).toBe(false);
    for (const p of state.processes) expect(isAlive(p.pid)).toBe(false);
    expect(fs.existsSync(cluster.stateDir)).toBe(false);
  }, 180_000);

  it('servers die with their owner even when it is killed with SIGKILL', async () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-orphan-'));
    try {
      const script = `require('ts-node/register/transpile-only');
        require(${JSON.stringify(path.join(__dirname, '../../dev/cluster'))})
          .startLocalCluster({ stateDir: ${JSON.stringify(stateDir)} })
          .then(() => { process.stdout.write('READY\\n'); setInterval(() => {}, 1000); });`;
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('READY') && resolve());
        child.once('exit', (code) => reject(new Error(`owner exited early (${code})`)));
      });
      const state = readClusterState(stateDir)!;
      expect(state.processes.length).toBe(5);
      child.kill('SIGKILL');
      const deadline = Date.now() + 30_000;
      while (state.processes.some((p) => isAlive(p.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(state.processes.filter((p) => isAlive(p.pid)).map((p) => p.name)).toEqual([]);
      expect(await portOpen(state.server)).toBe(false);
    } finally {
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  }, 180_000);
});
