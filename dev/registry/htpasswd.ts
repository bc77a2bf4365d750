import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';

/** A user of a test registry. */
export interface RegistryUser {
  readonly username: string;
  readonly password: string;
}

/** `htpasswd` (apache2-utils) failed or is missing. */
export class HtpasswdError extends Error {
  override readonly name = 'HtpasswdError';
}

/**
 * Writes an htpasswd file with bcrypt entries, which is all distribution's htpasswd auth accepts.
 * Passwords go to `htpasswd -i` on stdin, never on a command line. The file is mode 0600.
 */
export async function writeHtpasswd(file: string, users: readonly RegistryUser[], binary = '/usr/bin/htpasswd'): Promise<void> {
  const lines: string[] = [];
  for (const user of users) {
    if (!/^[A-Za-z0-9._-]+$/.test(user.username)) throw new HtpasswdError(`username ${JSON.stringify(user.username)}: only [A-Za-z0-9._-]`);
    lines.push((await bcryptLine(binary, user)).trim());
  }
  await fs.writeFile(file, `${lines.join('\n')}\n`, { mode: 0o600 });
}

function bcryptLine(binary: string, user: RegistryUser): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(binary, ['-niB', user.username], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new HtpasswdError(`htpasswd failed for ${user.username}: ${stderr.trim() || err.message} (install apache2-utils)`));
      else resolve(stdout);
    });
    child.stdin?.end(user.password);
  });
}
