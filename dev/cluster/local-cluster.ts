import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { freePort, isPortOpen, waitFor } from '../net';
import { isAlive, killGroup, ManagedProcess } from '../process';
import { CLUSTER_BINARIES, locateToolchain, type Toolchain } from '../toolchain';
import { KubeApi, type KubeEndpoint } from './kube-api';
import { writeKubeconfig } from './kubeconfig';
import { DEFAULT_EDGE_NODES, nodeManifest, type EdgeNodeSpec } from './nodes';
import { ensurePki } from './pki';

const execFileAsync = promisify(execFile);

/** Options for {@link startLocalCluster}. */
export interface LocalClusterOptions {
  /**
   * Directory for the datastore, PKI, kubeconfig and logs. A temporary directory that is
   * removed on stop when not given.
   */
  readonly stateDir?: string;
  /** @default DEFAULT_EDGE_NODES (two arm64, one amd64) */
  readonly nodes?: readonly EdgeNodeSpec[];
  /**
   * Keep the servers running after this process exits (`fluxops dev up`); stop them with
   * {@link stopLocalCluster}. Otherwise they die with this process, even on SIGKILL.
   * @default false
   */
  readonly detached?: boolean;
  /** Progress lines. @default no output */
  readonly log?: (line: string) => void;
  /** @default locateToolchain() */
  readonly toolchain?: Toolchain;
  /** Name of the kubeconfig context. @default 'fluxops-local' */
  readonly contextName?: string;
  /**
   * Write the API server's audit log (JSON, every request at Metadata level, synchronously) to
   * `<stateDir>/audit.log`, so tests can count the writes a command made.
   * @default false
   */
  readonly auditLog?: boolean;
}

/** What `state.json` records so that another process can stop a detached cluster. */
export interface LocalClusterState {
  readonly name: string;
  readonly server: string;
  readonly kubeconfig: string;
  readonly version: string;
  readonly processes: ReadonlyArray<{ readonly name: string; readonly pid: number; readonly log: string }>;
  readonly ports: Readonly<Record<string, number>>;
  readonly startedAt: string;
}

/** A running k3s-like control plane with simulated edge nodes. */
export interface LocalCluster {
  readonly stateDir: string;
  readonly kubeconfigPath: string;
  readonly contextName: string;
  readonly endpoint: KubeEndpoint;
  /** `gitVersion` the API server reports. */
  readonly version: string;
  readonly nodes: readonly EdgeNodeSpec[];
  /** Seconds spent in each startup phase, for the startup benchmark. */
  readonly timings: Readonly<Record<string, number>>;
  readonly api: KubeApi;
  /** The audit log, when started with `auditLog`. */
  readonly auditLogPath?: string;
  /** Runs the toolchain's `kubectl` against this cluster and returns stdout. */
  kubectl(args: readonly string[], opts?: { input?: string }): Promise<string>;
  /** Stops every server; removes the state directory if this cluster created it. */
  stop(): Promise<void>;
}

/** The local cluster did not come up; `cause` says which step failed. */
export class LocalClusterStartError extends Error {
  override readonly name = 'LocalClusterStartError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const STATE_FILE = 'state.json';
const SERVICE_CIDR = '10.43.0.0/16'; // k3s defaults
const CLUSTER_CIDR = '10.42.0.0/16';
const SA_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/**
 * Starts kine (SQLite), kube-apiserver (token + certificate auth, RBAC), controller-manager,
 * scheduler and kwok on 127.0.0.1 and free ports, registers the simulated edge nodes and waits
 * until a pod could be scheduled. On any failure everything already started is stopped.
 */
export async function startLocalCluster(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
  const log = opts.log ?? (() => undefined);
  const toolchain = opts.toolchain ?? locateToolchain({ need: CLUSTER_BINARIES });
  const ownsStateDir = opts.stateDir === undefined;
  const stateDir = opts.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-cluster-'));
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const existing = readClusterState(stateDir);
  if (existing && existing.processes.some((p) => isAlive(p.pid))) {
    throw new LocalClusterStartError(`a local cluster is already running from ${stateDir} (${existing.server}); stop it first`);
  }
  const nodes = opts.nodes ?? DEFAULT_EDGE_NODES;
  const contextName = opts.contextName ?? 'fluxops-local';
  const logDir = path.join(stateDir, 'logs');
  const timings: Record<string, number> = {};
  const started: ManagedProcess[] = [];
  const t0 = Date.now();
  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    log(`${name} ...`);
    const result = await fn();
    timings[name] = (Date.now() - t) / 1000;
    return result;
  };
  const startProcess = (name: string, command: string, args: string[]) => {
    const p = ManagedProcess.start({ name, command, args, logFile: path.join(logDir, `${name}.log`), detached: opts.detached, cwd: stateDir });
    started.push(p);
    // Recorded at once, so that `dev down` finds every server even if this process dies mid-start.
    writeState({ processes: started.map((m) => ({ name: m.name, pid: m.pid, log: m.logFile })) });
    return p;
  };
  const writeState = (state: Partial<LocalClusterState>) => {
    fs.writeFileSync(path.join(stateDir, STATE_FILE), JSON.stringify(state, null, 2) + '\n');
  };
  const abortIfDead = () => {
    for (const p of started) p.assertRunning();
  };

  try {
    const pki = ensurePki(path.join(stateDir, 'pki'));
    const tokenFile = path.join(stateDir, 'pki', 'tokens.csv');
    if (!fs.existsSync(tokenFile)) {
      fs.writeFileSync(tokenFile, `${randomBytes(24).toString('hex')},fluxops-admin,fluxops-admin,"system:masters"\n`, { mode: 0o600 });
    }
    const token = fs.readFileSync(tokenFile, 'utf8').split(',')[0]!;
    const ca = fs.readFileSync(pki.caCert, 'utf8');
    const ports = { kine: await freePort(), apiserver: await freePort(), kwok: await freePort() };
    const server = `https://127.0.0.1:${ports.apiserver}`;
    const endpoint: KubeEndpoint = { server, ca, token };
    const kubeconfigPath = path.join(stateDir, 'kubeconfig');
    writeKubeconfig(kubeconfigPath, { contextName, server, caPem: ca, token });

    await phase('kine', async () => {
      fs.mkdirSync(path.join(stateDir, 'db'), { recursive: true });
      startProcess('kine', toolchain.bin('kine'), [
        '--listen-address', `127.0.0.1:${ports.kine}`,
        '--metrics-bind-address', '0',
        '--endpoint', `sqlite://${path.join(stateDir, 'db', 'state.db')}?_journal=WAL&cache=shared&_busy_timeout=30000&_txlock=immediate`,
      ]);
      await waitFor(() => isPortOpen(ports.kine), { what: 'kine to listen', timeoutMs: 30_000, abortIf: abortIfDead });
    });

    const api = new KubeApi(endpoint);
    const auditLogPath = opts.auditLog ? path.join(stateDir, 'audit.log') : undefined;
    const auditArgs: string[] = [];
    if (auditLogPath) {
      const policy = path.join(stateDir, 'audit-policy.yaml');
      fs.writeFileSync(policy, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n');
      auditArgs.push(`--audit-policy-file=${policy}`, `--audit-log-path=${auditLogPath}`, '--audit-log-format=json', '--audit-log-mode=blocking', '--audit-log-maxsize=0');
    }
    await phase('kube-apiserver', async () => {
      startProcess('kube-apiserver', toolchain.bin('kube-apiserver'), [
        `--etcd-servers=http://127.0.0.1:${ports.kine}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${ports.apiserver}`,
        `--cert-dir=${path.join(stateDir, 'pki')}`,
        `--tls-cert-file=${pki.servingCert}`,
        `--tls-private-key-file=${pki.servingKey}`,
        `--client-ca-file=${pki.caCert}`,
        `--token-auth-file=${tokenFile}`,
        '--authorization-mode=RBAC',
        '--anonymous-auth=false',
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        `--service-account-issuer=${SA_ISSUER}`,
        `--api-audiences=${SA_ISSUER}`,
        `--service-account-key-file=${pki.serviceAccountPub}`,
        `--service-account-signing-key-file=${pki.serviceAccountKey}`,
        '--allow-privileged=true',
        '--endpoint-reconciler-type=none',
        '--profiling=false',
        '--enable-priority-and-fairness=false',
        ...auditArgs,
      ]);
      await waitFor(async () => (await api.get<string>('/readyz')) === 'ok', { what: 'kube-apiserver /readyz', timeoutMs: 90_000, intervalMs: 250, abortIf: abortIfDead });
    });
    const version = (await api.get<{ gitVersion: string }>('/version')).gitVersion;

    await phase('controllers', async () => {
      const cpKubeconfig = kubeconfigPath;
      startProcess('kube-controller-manager', toolchain.bin('kube-controller-manager'), [
        `--kubeconfig=${cpKubeconfig}`,
        '--secure-port=0',
        '--leader-elect=false',
        '--use-service-account-credentials=false',
        `--service-account-private-key-file=${pki.serviceAccountKey}`,
        `--root-ca-file=${pki.caCert}`,
        `--cluster-signing-cert-file=${pki.caCert}`,
        `--cluster-signing-key-file=${pki.caKey}`,
        `--cluster-cidr=${CLUSTER_CIDR}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        '--allocate-node-cidrs=false',
        '--profiling=false',
      ]);
      startProcess('kube-scheduler', toolchain.bin('kube-scheduler'), [
        `--kubeconfig=${cpKubeconfig}`,
        `--authentication-kubeconfig=${cpKubeconfig}`,
        `--authorization-kubeconfig=${cpKubeconfig}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${await freePort()}`,
        '--leader-elect=false',
        '--profiling=false',
      ]);
      startProcess('kwok', toolchain.bin('kwok'), [
        `--kubeconfig=${cpKubeconfig}`,
        `--config=${toolchain.kwokStages}`,
        `--config=${path.join(__dirname, 'k3s-stages.yaml')}`,
        '--node-lease-duration-seconds=40',
        '--manage-all-nodes=false',
        `--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake`,
        '--node-ip=127.0.0.1',
        `--server-address=127.0.0.1:${ports.kwok}`,
        '--cidr=10.42.0.1/16',
      ]);
    });

    await phase('nodes', async () => {
      for (const n of nodes) {
        await createIgnoringConflict(api, '/api/v1/nodes', nodeManifest(n, version));
      }
      await waitFor(
        async () => {
          const list = await api.get<{ items: NodeLike[] }>('/api/v1/nodes');
          const ready = list.items.filter((i) => i.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
          return ready.length >= nodes.length;
        },
        { what: `${nodes.length} nodes Ready`, timeoutMs: 60_000, intervalMs: 200, abortIf: abortIfDead },
      );
    });

    await phase('workload-ready', async () => {
      // k3s ships Traefik; its IngressClass lets Ingress objects look exactly as on a real site.
      await createIgnoringConflict(api, '/apis/networking.k8s.io/v1/ingressclasses', {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'IngressClass',
        metadata: { name: 'traefik', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
        spec: { controller: 'traefik.io/ingress-controller' },
      });
      // Pods are admitted only once the namespace's default ServiceAccount exists.
      await waitFor(() => api.get('/api/v1/namespaces/default/serviceaccounts/default').then(() => true), {
        what: 'the default ServiceAccount', timeoutMs: 60_000, intervalMs: 200, abortIf: abortIfDead,
      });
    });
    timings.total = (Date.now() - t0) / 1000;

    const state: LocalClusterState = {
      name: contextName,
      server,
      kubeconfig: kubeconfigPath,
      version,
      processes: started.map((p) => ({ name: p.name, pid: p.pid, log: p.logFile })),
      ports,
      startedAt: new Date().toISOString(),
    };
    writeState(state);
    log(`ready in ${timings.total.toFixed(1)} s: ${server} (${version})`);

    let stopped = false;
    return {
      stateDir,
      kubeconfigPath,
      contextName,
      endpoint,
      version,
      nodes,
      timings,
      api,
      ...(auditLogPath ? { auditLogPath } : {}),
      kubectl: (args, o) => runKubectl(toolchain, kubeconfigPath, args, o?.input),
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopProcesses(started);
        fs.rmSync(path.join(stateDir, STATE_FILE), { force: true });
        if (ownsStateDir) fs.rmSync(stateDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopProcesses(started);
    fs.rmSync(path.join(stateDir, STATE_FILE), { force: true });
    if (ownsStateDir) fs.rmSync(stateDir, { recursive: true, force: true });
    const msg = err instanceof Error ? err.message : String(err);
    throw new LocalClusterStartError(`local cluster failed to start: ${msg}`, { cause: err });
  }
}

/** Reads the state of a cluster started in `stateDir`, if any. */
export function readClusterState(stateDir: string): LocalClusterState | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(stateDir, STATE_FILE), 'utf8')) as LocalClusterState;
  } catch {
    return undefined;
  }
}

/**
 * Stops a (detached) cluster recorded in `stateDir`, in reverse start order. Returns what was
 * stopped. With `purge`, also deletes the datastore, PKI and kubeconfig.
 */
export async function stopLocalCluster(stateDir: string, opts: { purge?: boolean } = {}): Promise<string[]> {
  const state = readClusterState(stateDir);
  const stopped: string[] = [];
  if (state) {
    for (const p of [...state.processes].reverse()) {
      if (killGroup(p.pid, 'SIGTERM')) stopped.push(p.name);
      const deadline = Date.now() + 10_000;
      while (isAlive(p.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      killGroup(p.pid, 'SIGKILL');
    }
    fs.rmSync(path.join(stateDir, STATE_FILE), { force: true });
  }
  if (opts.purge) fs.rmSync(stateDir, { recursive: true, force: true });
  return stopped;
}

interface NodeLike {
  status?: { conditions?: Array<{ type: string; status: string }> };
}

async function stopProcesses(procs: readonly ManagedProcess[]): Promise<void> {
  // Reverse order: clients first, the datastore last.
  for (const p of [...procs].reverse()) await p.stop();
}

async function createIgnoringConflict(api: KubeApi, collection: string, body: unknown): Promise<void> {
  try {
    await api.post(collection, body);
  } catch (err) {
    if ((err as { status?: number }).status !== 409) throw err;
  }
}


async function runKubectl(toolchain: Toolchain, kubeconfig: string, args: readonly string[], input?: string): Promise<string> {
  if (input === undefined) {
    const { stdout } = await execFileAsync(toolchain.bin('kubectl'), ['--kubeconfig', kubeconfig, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  }
  return new Promise((resolve, reject) => {
    const child = execFile(toolchain.bin('kubectl'), ['--kubeconfig', kubeconfig, ...args], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr }));
      else resolve(stdout);
    });
    child.stdin?.end(input);
  });
}
