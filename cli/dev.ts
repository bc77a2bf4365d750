import * as path from 'node:path';
import type { Command } from 'commander';

import { locateToolchain } from '../toolchain/locate';

// dev/ (the embedded test cluster) is loaded only when a dev command runs: the reconciler image
// carries the CLI but not dev/.
const loadDevCluster = () => import('../dev/cluster');

/** Default state directory of `fluxops dev up`, relative to the working directory. */
export const DEFAULT_DEV_STATE_DIR = '.fluxops/dev';

/** `fluxops dev up|down|status`: the embedded local edge cluster. */
export function registerDevCommands(program: Command): void {
  const dev = program.command('dev').description('the embedded local edge cluster (k3s-like control plane, simulated arm64 nodes)');

  dev
    .command('up')
    .description('start the local edge cluster in the background and write a kubeconfig')
    .option('--state-dir <dir>', 'datastore, PKI, kubeconfig and logs', DEFAULT_DEV_STATE_DIR)
    .action(async (o: { stateDir: string }) => {
      const { startLocalCluster } = await loadDevCluster();
      const stateDir = path.resolve(o.stateDir);
      const cluster = await startLocalCluster({ stateDir, detached: true, log: (l) => console.error(`  ${l}`) });
      console.log(`Local edge cluster ${cluster.version} is up at ${cluster.endpoint.server}`);
      console.log(`  nodes: ${cluster.nodes.map((n) => `${n.name} (${n.arch})`).join(', ')}`);
      console.log(`  ready in ${cluster.timings.total?.toFixed(1)} s; logs in ${path.join(stateDir, 'logs')}`);
      console.log('');
      console.log('Use it with kubectl:');
      console.log(`  export KUBECONFIG=${cluster.kubeconfigPath}`);
      console.log('  kubectl get nodes -L kubernetes.io/arch');
      console.log(`  (a kubectl of the same version: ${locateToolchain({ check: false }).bin('kubectl')})`);
      console.log('Stop it with: fluxops dev down');
    });

  dev
    .command('down')
    .description('stop the local edge cluster started by `fluxops dev up`')
    .option('--state-dir <dir>', 'as given to `dev up`', DEFAULT_DEV_STATE_DIR)
    .option('--purge', 'also delete the state directory (datastore, PKI, kubeconfig, logs); only one holding .fluxops-dev-state', false)
    .action(async (o: { stateDir: string; purge: boolean }) => {
      const { stopLocalCluster } = await loadDevCluster();
      const report = await stopLocalCluster(path.resolve(o.stateDir), { purge: o.purge });
      console.log(report.stopped.length ? `stopped: ${report.stopped.join(', ')}` : 'no local edge cluster was running');
      for (const p of report.processes) {
        if (p.outcome === 'not-ours' || p.outcome === 'unverifiable') console.log(`${p.name}: ${p.detail}`);
      }
      if (report.purged) console.log(`deleted ${report.stateDir}`);
    });

  dev
    .command('status')
    .description('show whether the local edge cluster runs')
    .option('--state-dir <dir>', 'as given to `dev up`', DEFAULT_DEV_STATE_DIR)
    .action(async (o: { stateDir: string }) => {
      const { describeStanding, inspectLocalCluster } = await loadDevCluster();
      const found = inspectLocalCluster(path.resolve(o.stateDir));
      if (!found) {
        console.log('not running');
        process.exitCode = 3;
        return;
      }
      for (const p of found.processes) {
        const word = p.standing.kind === 'ours' ? 'running' : p.standing.kind === 'gone' ? 'stopped' : 'not ours';
        const detail = p.standing.kind === 'ours' || p.standing.kind === 'gone' ? `pid ${p.pid}` : describeStanding(p.standing);
        console.log(`${word}\t${p.name}\t(${detail})`);
      }
      if (found.state.server) console.log(`server: ${found.state.server}`);
      if (found.state.kubeconfig) console.log(`kubeconfig: ${found.state.kubeconfig}`);
      // Exit code 3 (as for "not running") unless something of ours still runs.
      if (!found.processes.some((p) => p.standing.kind === 'ours')) process.exitCode = 3;
    });
}
