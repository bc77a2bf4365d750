import * as fs from 'node:fs';
import * as path from 'node:path';

import { ImageToolError } from '../errors';
import { runTool } from '../run-tool';

/**
 * apt for one foreign or native architecture, with its own sources and state under the image
 * cache, so the host's dpkg configuration is never changed (no `dpkg --add-architecture`) and the
 * packages come from the pinned Debian suite whatever the host runs. The one place the image
 * build talks to Debian's mirrors; the system's apt.conf.d (proxies, retries) still applies.
 */

/** Fields of one package record (`apt-cache show`). */
export interface AptPackageRecord {
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  readonly sha256: string;
  readonly size: number;
  /** Depends and Pre-Depends, first alternative of each, without version constraints or `:any`. */
  readonly depends: readonly string[];
}

/** Options of {@link PrivateApt}. */
export interface PrivateAptOptions {
  /** Debian architecture (`arm64`, `amd64`). */
  readonly arch: string;
  /** Debian suite (`bookworm`). */
  readonly suite: string;
  /** State directory (lists, archives); created if missing. */
  readonly dir: string;
  /** @default `$FLUXOPS_DEBIAN_MIRROR`, else http://deb.debian.org/debian */
  readonly mirror?: string;
  /** @default `$FLUXOPS_DEBIAN_SECURITY_MIRROR`, else http://deb.debian.org/debian-security */
  readonly securityMirror?: string;
}

/** apt-get / apt-cache with a private configuration for one architecture. */
export class PrivateApt {
  private readonly options: string[];

  constructor(private readonly o: PrivateAptOptions) {
    const mirror = o.mirror ?? process.env.FLUXOPS_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
    const security = o.securityMirror ?? process.env.FLUXOPS_DEBIAN_SECURITY_MIRROR ?? 'http://deb.debian.org/debian-security';
    for (const d of ['lists/partial', 'archives/partial', 'sources.list.d']) fs.mkdirSync(path.join(o.dir, d), { recursive: true });
    const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
    fs.writeFileSync(
      path.join(o.dir, 'sources.list'),
      [
        `deb [arch=${o.arch} signed-by=${keyring}] ${mirror} ${o.suite} main`,
        `deb [arch=${o.arch} signed-by=${keyring}] ${mirror} ${o.suite}-updates main`,
        `deb [arch=${o.arch} signed-by=${keyring}] ${security} ${o.suite}-security main`,
        '',
      ].join('\n'),
    );
    const status = path.join(o.dir, 'status');
    if (!fs.existsSync(status)) fs.writeFileSync(status, '');
    const set = (k: string, v: string) => ['-o', `${k}=${v}`];
    this.options = [
      ...set('APT::Architecture', o.arch),
      ...set('APT::Architectures', o.arch),
      ...set('Dir::State::Lists', path.join(o.dir, 'lists')),
      ...set('Dir::State::status', status),
      ...set('Dir::Cache', path.join(o.dir, 'cache')),
      ...set('Dir::Cache::archives', path.join(o.dir, 'archives')),
      ...set('Dir::Etc::SourceList', path.join(o.dir, 'sources.list')),
      ...set('Dir::Etc::SourceParts', path.join(o.dir, 'sources.list.d')),
      ...set('Acquire::Languages', 'none'),
      ...set('Acquire::Retries', '3'),
      // Only the package lists: no appstream/icons metadata the host's apt.conf.d may ask for.
      ...set('Acquire::IndexTargets::deb::DEP-11::DefaultEnabled', 'false'),
      ...set('Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled', 'false'),
      ...set('Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled', 'false'),
      ...set('Acquire::IndexTargets::deb::CNF::DefaultEnabled', 'false'),
      // The private directories belong to whoever runs the build; apt's _apt sandbox user could not write them.
      ...(process.getuid?.() === 0 ? set('APT::Sandbox::User', 'root') : []),
    ];
  }

  /** Downloads the package lists of the suite (about 13 MB per architecture). */
  async update(): Promise<void> {
    await runTool('apt-get', [...this.options, '-q', 'update']);
  }

  /** Whether {@link update} ran (lists present). */
  hasLists(): boolean {
    return fs.readdirSync(path.join(this.o.dir, 'lists')).some((f) => f.endsWith('_Packages') || f.includes('_Packages.'));
  }

  /** The candidate record of each named package (the version `apt-get download <name>` would fetch). */
  async show(names: readonly string[]): Promise<AptPackageRecord[]> {
    if (names.length === 0) return [];
    const { stdout } = await runTool('apt-cache', [...this.options, 'show', '--no-all-versions', ...names]);
    return parseStanzas(stdout).map(toRecord);
  }

  /** The record of an exact version (for checking a lock against the mirror). */
  async showVersion(name: string, version: string): Promise<AptPackageRecord> {
    const args = [...this.options, 'show', `${name}=${version}`];
    const { stdout } = await runTool('apt-cache', args);
    const first = parseStanzas(stdout)[0];
    if (!first) throw new ImageToolError('apt-cache', args.slice(this.options.length), 0, 'printed no package record');
    return toRecord(first);
  }

  /** Downloads every `name=version` into `dir` with one apt-get run. */
  async downloadAll(packages: readonly { name: string; version: string }[], dir: string): Promise<void> {
    if (packages.length === 0) return;
    await runTool('apt-get', [...this.options, '-q', 'download', ...packages.map((p) => `${p.name}=${p.version}`)], { cwd: dir });
  }
}

/** Parses RFC 822 style stanzas (Debian control data) into field maps; continuation lines are joined. */
export function parseStanzas(text: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  let current: Record<string, string> = {};
  let last: string | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (Object.keys(current).length > 0) out.push(current);
      current = {};
      last = undefined;
      continue;
    }
    if (/^\s/.test(line) && last) {
      current[last] += `\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon);
    current[last] = line.slice(colon + 1).trim();
  }
  if (Object.keys(current).length > 0) out.push(current);
  return out;
}

/** Package names of a Depends-style field: first alternative of each clause, no versions, no `:any`. */
export function dependencyNames(field: string | undefined): string[] {
  if (!field) return [];
  return field
    .split(',')
    .map((clause) => (clause.split('|')[0] ?? '').trim().replace(/\s*\(.*\)$/, '').replace(/:any$/, '').trim())
    .filter((n) => n !== '');
}

function toRecord(s: Record<string, string>): AptPackageRecord {
  return {
    name: s.Package ?? '',
    version: s.Version ?? '',
    architecture: s.Architecture ?? '',
    sha256: s.SHA256 ?? '',
    size: Number(s.Size ?? 'NaN'),
    depends: [...dependencyNames(s['Pre-Depends']), ...dependencyNames(s.Depends)],
  };
}
