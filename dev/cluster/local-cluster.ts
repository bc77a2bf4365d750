import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { FluxOpsError } from '../../errors';
import { assertLinux, treeListensOn } from '../linux-proc';
import { freePort, waitFor } from '../net';
import { isAddressInUse, ManagedProcess, ProcessExitedError } from '../process';
import { CLUSTER_BINARIES, locateToolchain, type Toolchain } from '../toolchain';
import {
  classifyProcess,
  describeStanding,
  ensureStateDir,
  hasStateDirMarker,
  readClusterState,
  removeClusterState,
  StateDirNotOursError,
  systemProcesses,
  writeClusterState,
  type ClusterProcessRecord,
  type LocalClusterState,
  type ProcessStanding,
} from './cluster-state';
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
   * Where server ports come from. A port that turns out to be taken when the server binds it
   * (another process was faster) is replaced by a new one, up to {@link PORT_ATTEMPTS} times.
   * Tests pass an allocator that hands out taken ports to exercise that.
   * @default freePort
   */
  readonly allocatePort?: () => Promise<number>;
  /**
   * Write the API server's audit log (JSON, every request at Metadata level, synchronously) to
   * `<stateDir>/audit.log`, so tests can count the writes a command made.
   * @default false
   */
  readonly auditLog?: boolean;
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
  /** The ports the servers listen on (`kine`, `apiserver`, `scheduler`, `kwok`), all on 127.0.0.1. */
  readonly ports: Readonly<Record<string, number>>;
  /** The servers as recorded in `state.json`: watchdog pid (process group leader) and server identity. */
  processes(): ClusterProcessRecord[];
  /** The audit log, when started with `auditLog`. */
  readonly auditLogPath?: string;
  /** Runs the toolchain's `kubectl` against this cluster and returns stdout. */
  kubectl(args: readonly string[], opts?: { input?: string }): Promise<string>;
  /**
   * Kills one server as a crash would (SIGKILL to the server process; its watchdog exits with it)
   * and waits until it is gone. The other servers keep running. For fault tests: the datastore
   * dying under the API server, the API server dying under a client.
   */
  killServer(name: ClusterServerName): Promise<void>;
  /**
   * Starts a server that was killed again with its original command line: the same port, the same
   * datastore, certificates and tokens (clients need no new kubeconfig). Waits until it listens
   * and, while the API server runs, until the API server is ready again.
   *
   * @throws ClusterServerRunningError when the server still runs
   * @throws LocalClusterRestartError when it does not come back (its port taken meanwhile, it exited)
   */
  restartServer(name: ClusterServerName, opts?: { readonly timeoutMs?: number }): Promise<void>;
  /** Stops every server; removes the state directory if this cluster created it. */
  stop(): Promise<void>;
}

/** The servers of the local cluster, in start order. */
export const CLUSTER_SERVER_NAMES = ['kine', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'] as const;

/** One server of the local cluster. */
export type ClusterServerName = (typeof CLUSTER_SERVER_NAMES)[number];

/** {@link LocalCluster.restartServer} was asked to start a server that still runs. */
export class ClusterServerRunningError extends FluxOpsError {
  override readonly name = 'ClusterServerRunningError';
  constructor(readonly server: ClusterServerName) {
    super('local-cluster-server-running', `${server} is running; kill it (killServer) before restarting it`);
  }
}

/** A killed server did not come back on its port; `cause` says why. */
export class LocalClusterRestartError extends FluxOpsError {
  override readonly name = 'LocalClusterRestartError';
  constructor(readonly server: ClusterServerName, readonly port: number | undefined, message: string, options?: { cause?: unknown }) {
    super('local-cluster-restart', `${server} did not come back${port !== undefined ? ` on 127.0.0.1:${port}` : ''}: ${message}`, options);
  }
}

/** The local cluster did not come up; `cause` says which step failed. */
export class LocalClusterStartError extends FluxOpsError {
  override readonly name = 'LocalClusterStartError';
  constructor(message: string, readonly stateDir: string, options?: { cause?: unknown }) {
    super('local-cluster-start', message, options);
  }
}

/** A cluster recorded in the state directory still runs; stop it first. */
export class LocalClusterRunningError extends FluxOpsError {
  override readonly name = 'LocalClusterRunningError';
  constructor(readonly stateDir: string, readonly server: string | undefined) {
    super('local-cluster-running', `a local cluster is already running from ${stateDir}${server ? ` (${server})` : ''}; stop it first`);
  }
}

/** How often a server is started on a new port when its port was taken before it could bind it. */
export const PORT_ATTEMPTS = 4;

const SERVICE_CIDR = '10.43.0.0/16'; // k3s defaults
const CLUSTER_CIDR = '10.42.0.0/16';
const SA_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/**
 * Starts kine (SQLite), kube-apiserver (token + certificate auth, RBAC), controller-manager,
 * scheduler and kwok on 127.0.0.1 and free ports, registers the simulated edge nodes and waits
 * until a pod could be scheduled. On any failure everything already started is stopped.
 */
export async function startLocalCluster(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
  assertLinux('the local cluster');
  const log = opts.log ?? (() => undefined);
  // A directory that is not ours is refused before anything else happens.
  if (opts.stateDir !== undefined) ensureStateDir(opts.stateDir);
  const toolchain = opts.toolchain ?? locateToolchain({ need: CLUSTER_BINARIES });
  const allocatePort = opts.allocatePort ?? freePort;
  const ownsStateDir = opts.stateDir === undefined;
  const stateDir = opts.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-cluster-'));
  if (ownsStateDir) ensureStateDir(stateDir);
  const existing = readClusterState(stateDir);
  if (existing) {
    const view = systemProcesses();
    if (existing.processes.some((p) => classifyProcess(p, view).kind === 'ours')) throw new LocalClusterRunningError(stateDir, existing.server);
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
    saveState({});
    return result;
  };
  let ready: Omit<LocalClusterState, 'processes'> = {};
  const saveState = (more: Omit<LocalClusterState, 'processes'>) => {
    ready = { ...ready, ...more };
    writeClusterState(stateDir, { ...ready, processes: started.map(recordOf) });
  };
  const startProcess = (name: string, command: string, args: string[]) => {
    const p = ManagedProcess.start({ name, command, args, logFile: path.join(logDir, `${name}.log`), detached: opts.detached, cwd: stateDir });
    started.push(p);
    // Recorded at once, so that `dev down` finds every server even if this process dies mid-start.
    saveState({});
    return p;
  };
  const abortIfDead = () => {
    for (const p of started) p.assertRunning();
  };
  /**
   * Starts a server on a port from `allocatePort` and waits until it listens there (and `isReady`).
   * freePort() only says a port was free a moment ago; when the server then fails with "address
   * already in use", it is started again on a new port.
   */
  const startOnFreePort = async (
    name: string,
    command: string,
    argsFor: (port: number) => string[],
    wait: { timeoutMs: number; intervalMs?: number; isReady?: (port: number) => Promise<boolean> },
  ): Promise<number> => {
    let lastError: unknown;
    for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
      const port = await allocatePort();
      const proc = startProcess(name, command, argsFor(port));
      try {
        await waitFor(async () => treeListensOn(proc.pid, port) && (wait.isReady ? await wait.isReady(port) : true), {
          what: `${name} to listen on 127.0.0.1:${port}`,
          timeoutMs: wait.timeoutMs,
          intervalMs: wait.intervalMs ?? 100,
          abortIf: abortIfDead,
        });
        return port;
      } catch (err) {
        if (!(err instanceof ProcessExitedError && err.processName === name && isAddressInUse(err.logTail))) throw err;
        lastError = err;
        started.splice(started.indexOf(proc), 1);
        saveState({});
        log(`${name}: port ${port} was taken by another process; retrying on a new port`);
      }
    }
    throw new LocalClusterStartError(`${name}: every port tried was taken (${PORT_ATTEMPTS} attempts)`, stateDir, { cause: lastError });
  };

  try {
    const pki = ensurePki(path.join(stateDir, 'pki'));
    const tokenFile = path.join(stateDir, 'pki', 'tokens.csv');
    if (!fs.existsSync(tokenFile)) {
      fs.writeFileSync(tokenFile, `${randomBytes(24).toString('hex')},fluxops-admin,fluxops-admin,"system:masters"\n`, { mode: 0o600 });
    }
    const token = fs.readFileSync(tokenFile, 'utf8').split(',')[0]!;
    const ca = fs.readFileSync(pki.caCert, 'utf8');
    const kubeconfigPath = path.join(stateDir, 'kubeconfig');

    const kinePort = await phase('kine', async () => {
      fs.mkdirSync(path.join(stateDir, 'db'), { recursive: true });
      const dsn = `sqlite://${path.join(stateDir, 'db', 'state.db')}?_journal=WAL&cache=shared&_busy_timeout=30000&_txlock=immediate`;
      return startOnFreePort('kine', toolchain.bin('kine'), (port) => ['--listen-address', `127.0.0.1:${port}`, '--metrics-bind-address', '0', '--endpoint', dsn], {
        timeoutMs: 30_000,
      });
    });

    let api: KubeApi | undefined;
    const auditLogPath = opts.auditLog ? path.join(stateDir, 'audit.log') : undefined;
    const auditArgs: string[] = [];
    if (auditLogPath) {
      const policy = path.join(stateDir, 'audit-policy.yaml');
      fs.writeFileSync(policy, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n');
      auditArgs.push(`--audit-policy-file=${policy}`, `--audit-log-path=${auditLogPath}`, '--audit-log-format=json', '--audit-log-mode=blocking', '--audit-log-maxsize=0');
    }
    const apiserverPort = await phase('kube-apiserver', () =>
      startOnFreePort(
        'kube-apiserver',
        toolchain.bin('kube-apiserver'),
        (port) => [
          `--etcd-servers=http://127.0.0.1:${kinePort}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          `--secure-port=${port}`,
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
        ],
        {
          timeoutMs: 90_000,
          intervalMs: 250,
          isReady: async (port) => {
            api = new KubeApi({ server: `https://127.0.0.1:${port}`, ca, token });
            return (await api.get<string>('/readyz')) === 'ok';
          },
        },
      ),
    );
    const server = `https://127.0.0.1:${apiserverPort}`;
    const endpoint: KubeEndpoint = { server, ca, token };
    writeKubeconfig(kubeconfigPath, { contextName, server, caPem: ca, token });
    api = new KubeApi(endpoint);
    const version = (await api.get<{ gitVersion: string }>('/version')).gitVersion;

    const ports: Record<string, number> = { kine: kinePort, apiserver: apiserverPort };
    await phase('controllers', async () => {
      startProcess('kube-controller-manager', toolchain.bin('kube-controller-manager'), [
        `--kubeconfig=${kubeconfigPath}`,
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
      // One after the other: a retry must not be mistaken for the other server's port race.
      ports.scheduler = await startOnFreePort(
        'kube-scheduler',
        toolchain.bin('kube-scheduler'),
        (port) => [
          `--kubeconfig=${kubeconfigPath}`,
          `--authentication-kubeconfig=${kubeconfigPath}`,
          `--authorization-kubeconfig=${kubeconfigPath}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${port}`,
          '--leader-elect=false',
          '--profiling=false',
        ],
        { timeoutMs: 60_000 },
      );
      ports.kwok = await startOnFreePort(
        'kwok',
        toolchain.bin('kwok'),
        (port) => [
          `--kubeconfig=${kubeconfigPath}`,
          `--config=${toolchain.kwokStages}`,
          `--config=${path.join(__dirname, 'k3s-stages.yaml')}`,
          '--node-lease-duration-seconds=40',
          '--manage-all-nodes=false',
          `--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake`,
          '--node-ip=127.0.0.1',
          `--server-address=127.0.0.1:${port}`,
          '--cidr=10.42.0.1/16',
        ],
        { timeoutMs: 60_000 },
      );
    });

    await phase('nodes', async () => {
      for (const n of nodes) {
        await createIgnoringConflict(api!, '/api/v1/nodes', nodeManifest(n, version));
      }
      await waitFor(
        async () => {
          const list = await api!.get<{ items: NodeLike[] }>('/api/v1/nodes');
          const ready = list.items.filter((i) => i.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
          return ready.length >= nodes.length;
        },
        { what: `${nodes.length} nodes Ready`, timeoutMs: 60_000, intervalMs: 200, abortIf: abortIfDead },
      );
    });

    await phase('workload-ready', async () => {
      // k3s ships Traefik; its IngressClass lets Ingress objects look exactly as on a real site.
      await createIgnoringConflict(api!, '/apis/networking.k8s.io/v1/ingressclasses', {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'IngressClass',
        metadata: { name: 'traefik', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
        spec: { controller: 'traefik.io/ingress-controller' },
      });
      // Pods are admitted only once the namespace's default ServiceAccount exists.
      await waitFor(() => api!.get('/api/v1/namespaces/default/serviceaccounts/default').then(() => true), {
        what: 'the default ServiceAccount', timeoutMs: 60_000, intervalMs: 200, abortIf: abortIfDead,
      });
    });
    timings.total = (Date.now() - t0) / 1000;

    saveState({ name: contextName, server, kubeconfig: kubeconfigPath, version, ports, startedAt: new Date().toISOString() });
    log(`ready in ${timings.total.toFixed(1)} s: ${server} (${version})`);

    let stopped = false;
    const readyApi = api;
    /** Port key in `ports` of each server that listens on one. */
    const portKey: Partial<Record<ClusterServerName, string>> = { kine: 'kine', 'kube-apiserver': 'apiserver', 'kube-scheduler': 'scheduler', kwok: 'kwok' };
    const serverProcess = (name: ClusterServerName): ManagedProcess => {
      const p = started.find((s) => s.name === name);
      if (!p) throw new RangeError(`no server ${name} in this cluster`);
      return p;
    };
    const apiReady = async () => (await readyApi.get<string>('/readyz').catch(() => '')) === 'ok';
    return {
      stateDir,
      kubeconfigPath,
      contextName,
      endpoint,
      version,
      nodes,
      timings,
      api: readyApi,
      ports,
      processes: () => started.map(recordOf),
      ...(auditLogPath ? { auditLogPath } : {}),
      kubectl: (args, o) => runKubectl(toolchain, kubeconfigPath, args, o?.input),
      async killServer(name) {
        await serverProcess(name).crash();
      },
      async restartServer(name, o = {}) {
        const old = serverProcess(name);
        if (old.running) throw new ClusterServerRunningError(name);
        const key = portKey[name];
        const port = key !== undefined ? ports[key] : undefined;
        const timeoutMs = o.timeoutMs ?? 90_000;
        // The same command line: same port, same datastore and PKI (the log gets this run appended).
        const [command, ...args] = old.command;
        const proc = ManagedProcess.start({ name, command: command!, args, logFile: old.logFile, detached: opts.detached, cwd: stateDir });
        started.splice(started.indexOf(old), 1, proc);
        saveState({});
        try {
          await waitFor(async () => (port === undefined ? proc.serverIdentity() !== undefined : treeListensOn(proc.pid, port)), {
            what: `${name} to listen${port !== undefined ? ` on 127.0.0.1:${port}` : ''}`,
            timeoutMs,
            intervalMs: 100,
            abortIf: () => proc.assertRunning(),
          });
          if (started.some((s) => s.name === 'kube-apiserver' && s.running)) {
            await waitFor(apiReady, { what: 'the API server to be ready', timeoutMs, intervalMs: 200, abortIf: () => proc.assertRunning() });
          }
        } catch (err) {
          throw new LocalClusterRestartError(name, port, err instanceof Error ? err.message : String(err), { cause: err });
        }
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopProcesses(started);
        removeClusterState(stateDir);
        if (ownsStateDir) fs.rmSync(stateDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopProcesses(started);
    removeClusterState(stateDir);
    if (ownsStateDir) fs.rmSync(stateDir, { recursive: true, force: true });
    const msg = err instanceof Error ? err.message : String(err);
    throw new LocalClusterStartError(`local cluster failed to start: ${msg}`, stateDir, { cause: err });
  }
}

/** What became of one recorded server in {@link stopLocalCluster}. */
export interface StoppedProcess {
  readonly name: string;
  readonly pid: number;
  /**
   * `stopped`: it was ours and was signalled; `not-running`: it had exited; `not-ours` and
   * `unverifiable`: its id now belongs to something else or cannot be checked, so it was left alone.
   */
  readonly outcome: 'stopped' | 'not-running' | 'not-ours' | 'unverifiable';
  /** One line for humans, e.g. `pid 1234 now belongs to another process; not signalled`. */
  readonly detail: string;
}

/** The result of {@link stopLocalCluster}. */
export interface ClusterStopReport {
  readonly stateDir: string;
  /** Every recorded server, in stop order (clients first, the datastore last). */
  readonly processes: readonly StoppedProcess[];
  /** Names of the servers that were signalled, in stop order. */
  readonly stopped: readonly string[];
  /** Whether the state directory was deleted (`purge`). */
  readonly purged: boolean;
}

/** Options of {@link stopLocalCluster}. */
export interface StopLocalClusterOptions {
  /** Also delete the state directory (datastore, PKI, kubeconfig, logs); only one that carries the state marker. */
  readonly purge?: boolean;
  /** How long a server gets between SIGTERM and SIGKILL. @default 10000 */
  readonly graceMs?: number;
}

/**
 * Stops a (detached) cluster recorded in `stateDir`, in reverse start order. A recorded process is
 * signalled only if it is still the one that was started (same boot, start time and command line);
 * anything else now running under a recorded id is reported and left alone. With `purge`, the
 * directory is deleted too, but only if it carries the {@link STATE_DIR_MARKER}; otherwise
 * {@link StateDirNotOursError} is thrown before anything is stopped or deleted. A `state.json`
 * that cannot be parsed raises {@link ClusterStateCorruptError}, also before anything happens.
 */
export async function stopLocalCluster(stateDir: string, opts: StopLocalClusterOptions = {}): Promise<ClusterStopReport> {
  assertLinux('stopping the local cluster');
  const dirExists = fs.existsSync(stateDir);
  if (opts.purge && dirExists && !hasStateDirMarker(stateDir)) throw new StateDirNotOursError(stateDir, 'purge');
  const state = dirExists ? readClusterState(stateDir) : undefined;
  const graceMs = opts.graceMs ?? 10_000;
  const view = systemProcesses();
  const processes: StoppedProcess[] = [];
  for (const p of [...(state?.processes ?? [])].reverse()) {
    const standing = classifyProcess(p, view);
    if (standing.kind !== 'ours') {
      const outcome = standing.kind === 'gone' ? 'not-running' : standing.kind;
      const detail = standing.kind === 'gone' ? describeStanding(standing) : `${describeStanding(standing)}; not signalled`;
      processes.push({ name: p.name, pid: p.pid, outcome, detail });
      continue;
    }
    signal(standing, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    let now: ProcessStanding = standing;
    while ((now = classifyProcess(p, view)).kind === 'ours' && Date.now() < deadline) await sleep(100);
    // Checked again right before: only what is still the same process gets SIGKILL.
    if (now.kind === 'ours') signal(now, 'SIGKILL');
    processes.push({ name: p.name, pid: p.pid, outcome: 'stopped', detail: 'stopped' });
  }
  if (state) removeClusterState(stateDir);
  let purged = false;
  if (opts.purge && dirExists) {
    fs.rmSync(stateDir, { recursive: true, force: true });
    purged = true;
  }
  return { stateDir, processes, stopped: processes.filter((p) => p.outcome === 'stopped').map((p) => p.name), purged };
}

/** Whether each recorded server of the cluster in `stateDir` still runs (reads `/proc`; signals nothing). */
export function inspectLocalCluster(stateDir: string): { state: LocalClusterState; processes: Array<ClusterProcessRecord & { standing: ProcessStanding }> } | undefined {
  assertLinux('inspecting the local cluster');
  const state = readClusterState(stateDir);
  if (!state) return undefined;
  const view = systemProcesses();
  return { state, processes: state.processes.map((p) => ({ ...p, standing: classifyProcess(p, view) })) };
}

function signal(standing: Extract<ProcessStanding, { kind: 'ours' }>, sig: NodeJS.Signals): void {
  try {
    process.kill(standing.wholeGroup ? -standing.target : standing.target, sig);
  } catch (err) {
    // Exited between the check and the signal.
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

function recordOf(p: ManagedProcess): ClusterProcessRecord {
  return { name: p.name, pid: p.pid, log: p.logFile, identity: p.identity, server: p.serverIdentity() };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
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
