import * as fs from 'node:fs';
import * as path from 'node:path';

import { ImageContentError } from '../errors';
import type { TarEntry } from '../oci/tar';
import type { ImagePlatform } from '../platforms';
import {
  BASE_PACKAGES,
  CA_BUNDLE_PATH,
  ETC_GROUP,
  ETC_NSSWITCH,
  ETC_PASSWD,
  globToRegExp,
  IMAGE_STATE_DIR,
  IMAGE_USER,
  type PackageSelection,
} from './base-spec';
import type { UnpackedDebianPackage } from './deb-cache';
import { isElfFile, readElf } from './elf';

/**
 * Assembles the base layer of one platform from unpacked Debian packages: the selected programs,
 * every shared library they (and Node, from its own layer) load, found by following `PT_INTERP`
 * and `DT_NEEDED` through the packages' files the way the dynamic loader searches them, and the
 * few generated files a distroless image has (users, nsswitch, CA bundle, dpkg status for scanners).
 */

/** A program in another layer whose libraries the base must provide. */
export interface ExtraProgram {
  /** Path inside the image, for messages. */
  readonly imagePath: string;
  /** The file on the build machine. */
  readonly hostPath: string;
}

/** Options of {@link assembleBase}. */
export interface AssembleBaseOptions {
  readonly platform: ImagePlatform;
  /** Every locked package of the platform, unpacked. */
  readonly packages: readonly UnpackedDebianPackage[];
  /** ELF programs of the other layers (Node, Pulumi): their libraries are resolved, their architecture checked. */
  readonly extraPrograms: readonly ExtraProgram[];
  /** @default BASE_PACKAGES */
  readonly spec?: readonly PackageSelection[];
}

/** A package that put files into the base. */
export interface ContributingPackage {
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  /** Files (and symlinks) it contributed. */
  readonly files: number;
}

/** The assembled base. */
export interface BaseAssembly {
  /** Layer entries (not yet sorted: see completeLayerEntries). */
  readonly entries: TarEntry[];
  /** Packages that contributed files, by name. */
  readonly packages: readonly ContributingPackage[];
  /** Image paths of the shared libraries (and the loader) the ELF closure pulled in, sorted. */
  readonly libraries: readonly string[];
}

type Node =
  | { readonly kind: 'file'; readonly pkg: string; readonly host: string; readonly mode: number; readonly size: number }
  | { readonly kind: 'dir'; readonly pkg: string; readonly mode: number }
  | { readonly kind: 'symlink'; readonly pkg: string; readonly target: string };

const MAX_LINK_HOPS = 40;

/** Builds the base layer's entries for `opts.platform`. Throws {@link ImageContentError} for a missing library or a foreign binary. */
export function assembleBase(opts: AssembleBaseOptions): BaseAssembly {
  const { platform } = opts;
  const spec = opts.spec ?? BASE_PACKAGES;
  const byName = new Map(opts.packages.map((p) => [p.locked.name, p]));
  const vfs = new Map<string, Node>();
  for (const p of opts.packages) walkPackage(p, vfs);

  const out = new Map<string, TarEntry>();
  const contributed = new Map<string, number>();
  const libraries = new Set<string>();
  const count = (pkg: string) => contributed.set(pkg, (contributed.get(pkg) ?? 0) + 1);
  /** ELF files still to be read for their loader and libraries. */
  const queue: ExtraProgram[] = [...opts.extraPrograms];

  /** Adds the vfs node at `p` (file or symlink) and, for a symlink, what it points at. */
  const addPath = (p: string, why: string, depth = 0): string => {
    if (depth > MAX_LINK_HOPS) throw new ImageContentError(platform.name, p, `too many symlink hops (${why})`);
    const { final, links } = resolve(vfs, p);
    for (const link of links) {
      const node = vfs.get(link);
      if (node?.kind === 'symlink' && !out.has(link)) {
        out.set(link, { type: 'symlink', path: link, target: node.target });
        count(node.pkg);
      }
    }
    const node = vfs.get(final);
    if (!node || node.kind !== 'file') throw new ImageContentError(platform.name, p, `not found in the base packages (needed by ${why})`);
    if (!out.has(final)) {
      out.set(final, { type: 'file', path: final, mode: node.mode, content: { kind: 'host-file', path: node.host, size: node.size } });
      count(node.pkg);
      if (isElfFile(node.host)) queue.push({ imagePath: `/${final}`, hostPath: node.host });
    }
    return final;
  };

  for (const sel of spec) {
    const pkg = byName.get(sel.package);
    if (!pkg) throw new ImageContentError(platform.name, sel.package, 'is in the base selection but not in the Debian lock for this platform');
    const include = sel.include.map(globToRegExp);
    const exclude = (sel.exclude ?? []).map(globToRegExp);
    const overridden = new Set(Object.keys(sel.symlinks ?? {}));
    for (const [p, node] of vfs) {
      if (node.pkg !== sel.package || node.kind === 'dir' || overridden.has(p)) continue;
      if (!include.some((r) => r.test(p)) || exclude.some((r) => r.test(p))) continue;
      addPath(p, `${sel.package} selection`);
    }
    for (const [p, target] of Object.entries(sel.symlinks ?? {})) {
      out.set(p, { type: 'symlink', path: p, target });
      count(sel.package);
    }
  }
  // Symlinks taken by a selection may point at files that are not selected themselves (or at
  // overridden paths): every link must land on something in the image.
  for (const entry of [...out.values()]) {
    if (entry.type !== 'symlink') continue;
    const target = linkTarget(entry.path, entry.target);
    if (!out.has(target) && !vfs.has(target)) throw new ImageContentError(platform.name, `/${entry.path}`, `symlink to ${entry.target} points at nothing`);
    if (!out.has(target)) addPath(target, `symlink /${entry.path}`);
  }

  // The ELF closure: loader and DT_NEEDED, searched like ld.so does without an ld.so.cache.
  const searchDirs = [`lib/${platform.triplet}`, `usr/lib/${platform.triplet}`, 'lib', 'usr/lib'];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const prog = queue.shift() as ExtraProgram;
    if (seen.has(prog.hostPath)) continue;
    seen.add(prog.hostPath);
    const elf = readElf(prog.hostPath);
    if (elf.machine !== platform.elfMachine) {
      throw new ImageContentError(platform.name, prog.imagePath, `is built for ELF machine ${elf.machine}, not ${platform.elfMachine} (${platform.oci.architecture})`);
    }
    if (elf.interpreter) {
      const p = elf.interpreter.replace(/^\/+/, '');
      libraries.add(`/${addPath(p, prog.imagePath)}`);
      libraries.add(`/${p}`);
    }
    for (const soname of elf.needed) {
      const found = searchDirs.map((d) => `${d}/${soname}`).find((c) => {
        const r = resolve(vfs, c);
        return vfs.get(r.final)?.kind === 'file';
      });
      if (!found) {
        throw new ImageContentError(platform.name, prog.imagePath, `needs ${soname}, which no package in the Debian lock provides (searched ${searchDirs.map((d) => `/${d}`).join(', ')})`);
      }
      libraries.add(`/${found}`);
      addPath(found, prog.imagePath);
    }
  }

  // Generated files of a distroless base.
  const generated: TarEntry[] = [
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    { type: 'dir', path: 'root', mode: 0o700 },
    { type: 'dir', path: IMAGE_STATE_DIR, mode: 0o755, uid: IMAGE_USER.uid, gid: IMAGE_USER.gid },
    { type: 'dir', path: 'usr/local/bin' },
    { type: 'file', path: 'etc/passwd', content: ETC_PASSWD },
    { type: 'file', path: 'etc/group', content: ETC_GROUP },
    { type: 'file', path: 'etc/nsswitch.conf', content: ETC_NSSWITCH },
  ];
  const ca = byName.get('ca-certificates');
  if (ca) {
    generated.push({ type: 'file', path: CA_BUNDLE_PATH, content: caBundle(vfs, 'ca-certificates') });
    count('ca-certificates');
  }
  for (const e of generated) out.set(e.path.replace(/^\/+/, ''), e);

  // Scanners (Trivy, Grype) read distroless-style status.d entries to know the package versions;
  // licences travel with the binaries.
  const packages: ContributingPackage[] = [];
  for (const name of [...contributed.keys()].sort()) {
    const p = byName.get(name) as UnpackedDebianPackage;
    out.set(`var/lib/dpkg/status.d/${name}`, { type: 'file', path: `var/lib/dpkg/status.d/${name}`, content: p.control });
    const copyright = `usr/share/doc/${name}/copyright`;
    const node = vfs.get(copyright);
    if (node?.kind === 'file' && !out.has(copyright)) {
      out.set(copyright, { type: 'file', path: copyright, mode: 0o644, content: { kind: 'host-file', path: node.host, size: node.size } });
    }
    packages.push({ name, version: p.locked.version, architecture: p.locked.architecture, files: contributed.get(name) as number });
  }
  return { entries: [...out.values()], packages, libraries: [...libraries].sort() };
}

function walkPackage(p: UnpackedDebianPackage, vfs: Map<string, Node>): void {
  const name = p.locked.name;
  const visit = (dir: string, rel: string) => {
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      if (rel === '' && d.name === '.fluxops-control') continue;
      const host = path.join(dir, d.name);
      const r = rel === '' ? d.name : `${rel}/${d.name}`;
      const st = fs.lstatSync(host);
      if (st.isDirectory()) {
        if (!vfs.has(r)) vfs.set(r, { kind: 'dir', pkg: name, mode: st.mode & 0o7777 });
        visit(host, r);
      } else if (st.isSymbolicLink()) {
        if (!vfs.has(r)) vfs.set(r, { kind: 'symlink', pkg: name, target: fs.readlinkSync(host) });
      } else if (st.isFile()) {
        if (!vfs.has(r)) vfs.set(r, { kind: 'file', pkg: name, host, mode: st.mode & 0o7777, size: st.size });
      }
    }
  };
  visit(p.root, '');
}

/** Where the symlink at `linkPath` points, as a root-relative path. */
function linkTarget(linkPath: string, target: string): string {
  const joined = target.startsWith('/') ? target : path.posix.join(path.posix.dirname(linkPath), target);
  return path.posix.normalize(joined).replace(/^\/+/, '');
}

/** Follows symlinks in any segment of `p` through the package files; returns the final path and the links passed. */
function resolve(vfs: Map<string, Node>, p: string): { final: string; links: string[] } {
  const links: string[] = [];
  let current = path.posix.normalize(p).replace(/^\/+/, '');
  for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
    const segs = current.split('/');
    let redirected = false;
    for (let i = 0; i < segs.length; i++) {
      const prefix = segs.slice(0, i + 1).join('/');
      const node = vfs.get(prefix);
      if (node?.kind === 'symlink') {
        links.push(prefix);
        const rest = segs.slice(i + 1).join('/');
        const target = linkTarget(prefix, node.target);
        current = rest ? `${target}/${rest}` : target;
        redirected = true;
        break;
      }
    }
    if (!redirected) return { final: current, links };
  }
  return { final: current, links };
}

/** The CA bundle update-ca-certificates would write: every certificate of the package, in path order. */
function caBundle(vfs: Map<string, Node>, pkg: string): string {
  const certs = [...vfs.entries()]
    .filter(([p, n]) => n.pkg === pkg && n.kind === 'file' && p.startsWith('usr/share/ca-certificates/') && p.endsWith('.crt'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return certs
    .map(([, n]) => {
      const text = fs.readFileSync((n as { host: string }).host, 'utf8');
      return text.endsWith('\n') ? text : `${text}\n`;
    })
    .join('');
}
