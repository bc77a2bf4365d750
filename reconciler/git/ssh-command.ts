/** Settings of the `ssh` command git runs for ssh remotes (see {@link sshCommand}). */
export interface SshCommandOptions {
  /** Private key file (`-i`); `undefined` uses ssh's defaults (`~/.ssh/id_*`, the agent). */
  readonly privateKeyFile?: string;
  /** known_hosts file; `undefined` uses ssh's defaults (`~/.ssh/known_hosts`). */
  readonly knownHostsFile?: string;
  /**
   * Accept any host key (no known_hosts). Only when the caller explicitly asks for it; the
   * default is `StrictHostKeyChecking=yes`.
   * @default false
   */
  readonly insecureIgnoreHostKey?: boolean;
  /** Seconds to wait for the TCP connection. @default 15 */
  readonly connectTimeoutSec?: number;
}

/** Quotes one word for a POSIX shell (git runs `GIT_SSH_COMMAND` through `sh -c`). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The argument list of the `ssh` command for git: never interactive (`BatchMode`), the user's
 * `~/.ssh/config` ignored when FluxOps supplies the key (`-F /dev/null`), only the given key
 * offered (`IdentitiesOnly`, no agent), and host keys checked strictly against the given
 * known_hosts file unless `insecureIgnoreHostKey` is set. No secret is part of it: the key is
 * passed by file name.
 */
export function sshCommandArgs(opts: SshCommandOptions = {}): string[] {
  const args = ['ssh'];
  if (opts.privateKeyFile !== undefined) {
    args.push('-F', '/dev/null', '-i', opts.privateKeyFile, '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none');
  }
  args.push('-o', 'BatchMode=yes', '-o', 'PasswordAuthentication=no', '-o', 'KbdInteractiveAuthentication=no');
  args.push('-o', `ConnectTimeout=${opts.connectTimeoutSec ?? 15}`, '-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=4');
  if (opts.insecureIgnoreHostKey) {
    // LogLevel=ERROR keeps "Permanently added ... to the list of known hosts" (written to /dev/null anyway) out of stderr.
    args.push('-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR');
  } else {
    args.push('-o', 'StrictHostKeyChecking=yes');
    if (opts.knownHostsFile !== undefined) args.push('-o', `UserKnownHostsFile=${opts.knownHostsFile}`, '-o', 'GlobalKnownHostsFile=/dev/null');
  }
  return args;
}

/** {@link sshCommandArgs} as the shell command line git expects in `GIT_SSH_COMMAND`. */
export function sshCommand(opts: SshCommandOptions = {}): string {
  return sshCommandArgs(opts).map(shellQuote).join(' ');
}
