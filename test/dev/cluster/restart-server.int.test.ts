import { ClusterServerRunningError, startLocalCluster, type LocalCluster } from '../../../dev/cluster';
import { isPortOpen } from '../../../dev/net';
import { findLeaks, snapshotServers } from '../../support/leak-check';

const configMap = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { name } });

const deployment = JSON.stringify({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'after-restart', namespace: 'default' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'after-restart' } },
    template: { metadata: { labels: { app: 'after-restart' } }, spec: { containers: [{ name: 'app', image: 'registry.local/after-restart:1.0.0' }] } },
  },
});

/** A server's pid as the cluster records it now. */
const serverPid = (cluster: LocalCluster, name: string) => cluster.processes().find((p) => p.name === name)?.server?.pid;

describe('local cluster: one server killed and restarted on the same port and data', () => {
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await startLocalCluster();
    await cluster.kubectl(['apply', '-f', '-'], { input: configMap('before') });
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it('kine (the datastore): the API server cannot serve while it is gone; restarted, every object is still there and writes work', async () => {
    const pid = serverPid(cluster, 'kine');
    await cluster.killServer('kine');
    expect(await isPortOpen(cluster.ports.kine)).toBe(false);
    expect(cluster.processes().find((p) => p.name === 'kine')?.server?.pid).toBe(pid);
    // The API server is up but has no datastore: reads fail.
    await expect(cluster.kubectl(['get', 'configmap', 'before', '--request-timeout=3s'])).rejects.toThrow();

    await cluster.restartServer('kine');
    expect(serverPid(cluster, 'kine')).not.toBe(pid);
    expect(await isPortOpen(cluster.ports.kine)).toBe(true);
    expect(JSON.parse(await cluster.kubectl(['get', 'configmap', 'before', '-o', 'json'])).data).toEqual({ name: 'before' });
    await cluster.kubectl(['apply', '-f', '-'], { input: configMap('after-kine') });
    expect(JSON.parse(await cluster.kubectl(['get', 'configmap', 'after-kine', '-o', 'json'])).data).toEqual({ name: 'after-kine' });
  }, 180_000);

  it('kube-apiserver: refused while gone; restarted on the same port with the same kubeconfig, the controllers and nodes carry on', async () => {
    await cluster.killServer('kube-apiserver');
    expect(await isPortOpen(cluster.ports.apiserver)).toBe(false);
    await expect(cluster.kubectl(['get', 'configmap', 'before', '--request-timeout=3s'])).rejects.toThrow(/refused/);

    await cluster.restartServer('kube-apiserver');
    expect(await isPortOpen(cluster.ports.apiserver)).toBe(true);
    const names = JSON.parse(await cluster.kubectl(['get', 'configmaps', '-o', 'json'])).items.map((i: { metadata: { name: string } }) => i.metadata.name);
    expect(names).toEqual(expect.arrayContaining(['before', 'after-kine']));
    // The controller-manager, scheduler and kwok reconnect: a new Deployment rolls out.
    await cluster.kubectl(['apply', '-f', '-'], { input: deployment });
    await cluster.kubectl(['rollout', 'status', 'deployment/after-restart', '--timeout=120s']);
  }, 240_000);

  it('refuses to restart a server that runs', async () => {
    await expect(cluster.restartServer('kine')).rejects.toThrow(ClusterServerRunningError);
  });

  it('stop() leaves none of the restarted servers and none of their ports behind', async () => {
    const snapshot = snapshotServers(cluster.processes().map((p) => p.pid));
    expect(snapshot.ports).toEqual(expect.arrayContaining([cluster.ports.kine, cluster.ports.apiserver]));
    await cluster.stop();
    expect(await findLeaks(snapshot)).toEqual({ processes: [], ports: [] });
  }, 60_000);
});
