import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { waitFor } from '../../dev/net';
import { ManagedProcess } from '../../dev/process';

const SOURCE_DIR = path.join(__dirname, '..', 'oracles', 'ssh-git-server');

/** The SSH git server of test/oracles/ssh-git-server, running on 127.0.0.1, with keys made for it. */
export interface SshGitServer {
  readonly port: number;
  /** `ssh://git@127.0.0.1:<port>/<repository>` */
  url(repository: string): string;
  /** Private key the server accepts (mode 0600). */
  readonly clientKey: string;
  /** A private key the server does not accept. */
  readonly otherKey: string;
  /** known_hosts with the server's host key. */
  readonly knownHosts: string;
  /** known_hosts naming the server with another host key (a man in the middle, or a reinstalled host). */
  readonly wrongKnownHosts: string;
  /** Makes every command wait a second before it runs (to watch the client meanwhile), or not. */
  setSlow(slow: boolean): void;
  /** The server's log (auth attempts, commands). */
  log(): string;
  stop(): Promise<void>;
}

function keygen(file: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', path.basename(file), '-f', file], { stdio: 'ignore' });
}

/**
 * Builds (Go build cache: seconds after the first time) and starts the server for the bare
 * repositories under `root`, on a port the kernel picks. Stopped by `stop()`, and by the
 * watchdog if the test process dies.
 */
export async function startSshGitServer(root: string): Promise<SshGitServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-ssh-server-'));
  let proc: ManagedProcess | undefined;
  try {
    const bin = path.join(dir, 'ssh-git-server');
    execFileSync('go', ['build', '-o', bin, '.'], { cwd: SOURCE_DIR, stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
    for (const k of ['host', 'client', 'other', 'impostor']) keygen(path.join(dir, k));
    fs.copyFileSync(path.join(dir, 'client.pub'), path.join(dir, 'authorized_keys'));
    const logFile = path.join(dir, 'server.log');
    proc = ManagedProcess.start({
      name: 'ssh-git-server',
      command: bin,
      args: ['-listen', '127.0.0.1:0', '-host-key', path.join(dir, 'host'), '-authorized-keys', path.join(dir, 'authorized_keys'), '-root', root, '-slow-file', path.join(dir, 'slow')],
      logFile,
      cwd: dir,
    });
    const running = proc;
    const port = await waitFor(
      () => {
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(fs.readFileSync(logFile, 'utf8'));
        return m ? Number(m[1]) : undefined;
      },
      { what: 'ssh-git-server to listen', timeoutMs: 15_000, intervalMs: 20, abortIf: () => running.assertRunning() },
    );
    const hostLine = (pub: string) => `[127.0.0.1]:${port} ${fs.readFileSync(pub, 'utf8').trim().split(' ').slice(0, 2).join(' ')}\n`;
    fs.writeFileSync(path.join(dir, 'known_hosts'), hostLine(path.join(dir, 'host.pub')));
    fs.writeFileSync(path.join(dir, 'wrong_known_hosts'), hostLine(path.join(dir, 'impostor.pub')));
    let stopped: Promise<void> | undefined;
    return {
      port,
      url: (repository) => `ssh://git@127.0.0.1:${port}/${repository}`,
      clientKey: path.join(dir, 'client'),
      otherKey: path.join(dir, 'other'),
      knownHosts: path.join(dir, 'known_hosts'),
      wrongKnownHosts: path.join(dir, 'wrong_known_hosts'),
      setSlow: (slow) => (slow ? fs.writeFileSync(path.join(dir, 'slow'), '') : fs.rmSync(path.join(dir, 'slow'), { force: true })),
      log: () => fs.readFileSync(logFile, 'utf8'),
      stop: () => {
        stopped ??= running.stop().finally(() => fs.rmSync(dir, { recursive: true, force: true }));
        return stopped;
      },
    };
  } catch (err) {
    await proc?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
