import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { freePort } from '../../dev/net';
import { readClusterState, startLocalCluster, type LocalCluster } from '../../dev/cluster';
import { findLeaks, serverNames, snapshotServers, waitForNoLeaks } from '../support/leak-check';

function deployment(name: string, arch: string, replicas: number, image = `registry.local/${name}:1.0.0`): string {
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
          containers: [{ name: 'app', image }],
        },
      },
    },
  });
}

const CLUSTER_SERVERS = ['kine', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'];

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

  it('simulates a build that crashes at start: an image tag with "crashloop" crash-loops, other tags of the repository run', async () => {
    const digest = `sha256:${'c'.repeat(64)}`;
    await cluster.kubectl(['apply', '-f', '-'], { input: deployment('crashy', 'arm64', 1, `registry.local/crashy:1.5.0-crashloop@${digest}`) });
    await cluster.kubectl(['apply', '-f', '-'], { input: deployment('fine', 'arm64', 1, `registry.local/crashloop-tools:1.5.0@${digest}`) });
    const waiting = async (app: string) => {
      for (let i = 0; i < 120; i++) {
        const pods = JSON.parse(await cluster.kubectl(['get', 'pods', '-l', `app=${app}`, '-o', 'json'])).items as any[];
        const statuses = pods[0]?.status?.containerStatuses as any[] | undefined;
        if (statuses?.length) return statuses[0];
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`no container status for ${app}`);
    };
    const crashy = await waiting('crashy');
    expect(crashy.state.waiting).toMatchObject({ reason: 'CrashLoopBackOff', message: expect.stringContaining('crashloop') });
    expect(crashy.restartCount).toBeGreaterThan(0);
    // only the tag counts: a repository called crashloop-tools runs normally
    await cluster.kubectl(['rollout', 'status', 'deployment/fine', '--timeout=120s']);
    expect((await waiting('fine')).state.running).toBeDefined();
  });

  it('an admin token and RBAC are enforced: an unknown token is rejected', async () => {
    const badKubeconfig = path.join(cluster.stateDir, 'bad-kubeconfig');
    fs.writeFileSync(badKubeconfig, fs.readFileSync(cluster.kubeconfigPath, 'utf8').replace(/token: .*/, 'token: not-a-real-token'));
    await expect(cluster.kubectl(['--kubeconfig', badKubeconfig, 'get', 'nodes'])).rejects.toThrow(/Unauthorized|provide credentials/);
  });
});

describe('local edge cluster teardown', () => {
  it('stop() leaves none of the real servers and none of their ports behind', async () => {
    const cluster = await startLocalCluster();
    let stopped = false;
    try {
      const snapshot = snapshotServers(cluster.processes().map((p) => p.pid));
      // The snapshot holds the servers themselves (children of the watchdogs) and every port they serve.
      expect(serverNames(snapshot)).toEqual(expect.arrayContaining(CLUSTER_SERVERS));
      expect(snapshot.ports).toEqual(expect.arrayContaining(Object.values(cluster.ports)));
      expect(Object.keys(cluster.ports).sort()).toEqual(['apiserver', 'kine', 'kwok', 'scheduler']);
      expect(await findLeaks(snapshot)).toEqual({ processes: expect.arrayContaining(CLUSTER_SERVERS.map((n) => expect.stringContaining(n))), ports: snapshot.ports });

      await cluster.stop();
      stopped = true;
      expect(await findLeaks(snapshot)).toEqual({ processes: [], ports: [] });
      expect(fs.existsSync(cluster.stateDir)).toBe(false);
    } finally {
      if (!stopped) await cluster.stop();
    }
  }, 180_000);

  it('servers die with their owner even when it is killed with SIGKILL', async () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-orphan-'));
    let child: ReturnType<typeof spawn> | undefined;
    try {
      const script = `require('ts-node/register/transpile-only');
        require(${JSON.stringify(path.join(__dirname, '../../dev/cluster'))})
          .startLocalCluster({ stateDir: ${JSON.stringify(stateDir)} })
          .then(() => { process.stdout.write('READY\\n'); setInterval(() => {}, 1000); });`;
      const owner = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      child = owner;
      await new Promise<void>((resolve, reject) => {
        owner.stdout.on('data', (d: Buffer) => d.toString().includes('READY') && resolve());
        owner.once('exit', (code) => reject(new Error(`owner exited early (${code})`)));
      });
      const state = readClusterState(stateDir)!;
      expect(state.processes.map((p) => p.name)).toEqual(CLUSTER_SERVERS);
      const snapshot = snapshotServers(state.processes.map((p) => p.pid));
      expect(serverNames(snapshot)).toEqual(expect.arrayContaining(CLUSTER_SERVERS));
      expect(snapshot.ports).toEqual(expect.arrayContaining(Object.values(state.ports ?? {})));
      owner.kill('SIGKILL');
      // The watchdogs notice within 0.5 s and give each server up to 5 s to exit.
      expect(await waitForNoLeaks(snapshot, 30_000)).toEqual({ processes: [], ports: [] });
    } finally {
      child?.kill('SIGKILL');
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('local edge cluster port races', () => {
  let blocker: net.Server | undefined;
  let cluster: LocalCluster | undefined;

  afterAll(async () => {
    await cluster?.stop();
    await new Promise((r) => (blocker ? blocker.close(r) : r(undefined)));
  });

  it('starts every server on a new port when its first port is taken by another listener', async () => {
    // Another process's listener on the port freePort() would have handed out.
    blocker = net.createServer();
    await new Promise<void>((resolve) => blocker!.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    let calls = 0;
    const lines: string[] = [];
    cluster = await startLocalCluster({ allocatePort: async () => (calls++ % 2 === 0 ? taken : freePort()), log: (l) => lines.push(l) });

    expect(Object.values(cluster.ports)).not.toContain(taken);
    const retried = ['kine', 'kube-apiserver', 'kube-scheduler', 'kwok'];
    expect(lines.filter((l) => l.includes(`port ${taken} was taken`)).map((l) => l.split(':')[0])).toEqual(retried);
    for (const name of retried) {
      // Each server really tried the taken port first and failed to bind it.
      expect(fs.readFileSync(path.join(cluster.stateDir, 'logs', `${name}.log`), 'utf8')).toMatch(/address already in use/i);
    }
    expect(calls).toBe(8);
    // And the cluster works on the ports it got.
    const nodes = JSON.parse(await cluster.kubectl(['get', 'nodes', '-o', 'json'])).items as unknown[];
    expect(nodes).toHaveLength(3);
    expect(readClusterState(cluster.stateDir)?.processes.map((p) => p.name)).toEqual(CLUSTER_SERVERS);
  }, 240_000);
});
