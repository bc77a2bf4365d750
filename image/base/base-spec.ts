/**
 * What the image's base file system is made of: a distroless-style selection from Debian packages.
 * Only the programs FluxOps runs are taken from their packages; the shared libraries come from
 * the ELF dependency closure of those programs and of Node (see assemble-base.ts), so a library
 * package contributes just the files that are really loaded.
 */

/** Files taken from one package as they are. */
export interface PackageSelection {
  readonly package: string;
  /** Why the image carries it. */
  readonly reason: string;
  /** Globs over the package's paths (`*` within a segment, `**` across segments). */
  readonly include: readonly string[];
  /** Globs removed again from `include`. @default none */
  readonly exclude?: readonly string[];
  /** Paths written as symlinks instead (to drop a byte-identical copy of a binary). @default none */
  readonly symlinks?: Readonly<Record<string, string>>;
}

/** The packages whose programs FluxOps runs, and what is taken from each. */
export const BASE_PACKAGES: readonly PackageSelection[] = [
  {
    package: 'libc6',
    reason: 'the C library and dynamic loader Node, git and ssh link against (libraries come through the ELF closure)',
    include: [],
  },
  {
    package: 'libstdc++6',
    reason: "Node's C++ runtime",
    include: [],
  },
  {
    package: 'libgcc-s1',
    reason: 'Node needs libgcc_s (unwinding, thread cancellation)',
    include: [],
  },
  {
    package: 'git',
    reason: 'the reconciler fetches and checks out the config repository with the git CLI (https and ssh remotes)',
    include: ['usr/bin/git', 'usr/bin/git-upload-pack', 'usr/bin/git-receive-pack', 'usr/bin/git-upload-archive', 'usr/lib/git-core/**', 'usr/share/git-core/templates/**'],
    // Servers, mail, GUI helpers, Perl scripts and the dumb-HTTP walker: nothing a client that
    // fetches over smart HTTP or ssh runs. About 15 MB.
    exclude: [
      'usr/lib/git-core/git-daemon',
      'usr/lib/git-core/git-http-backend',
      'usr/lib/git-core/git-http-fetch',
      'usr/lib/git-core/git-http-push',
      'usr/lib/git-core/git-imap-send',
      'usr/lib/git-core/git-shell',
      'usr/lib/git-core/scalar',
      'usr/lib/git-core/git-instaweb',
      'usr/lib/git-core/git-web--browse',
      'usr/lib/git-core/git-add--interactive',
      'usr/lib/git-core/mergetools/**',
    ],
    // Debian ships /usr/lib/git-core/git as a second copy of /usr/bin/git (3.7 MB).
    symlinks: { 'usr/lib/git-core/git': '../../bin/git' },
  },
  {
    package: 'openssh-client',
    reason: 'ssh:// config repositories (deploy keys, as Flux uses them)',
    include: ['usr/bin/ssh'],
  },
  {
    package: 'dash',
    reason: '/bin/sh: git runs GIT_SSH_COMMAND, local transports and hooks through the shell',
    include: ['bin/dash'],
    symlinks: { 'bin/sh': 'dash' },
  },
  {
    package: 'ca-certificates',
    reason: 'trust roots for git over https (Node and Go carry their own); the bundle is generated from them',
    include: [],
  },
  {
    package: 'base-files',
    reason: 'os-release, so image scanners recognise the Debian packages',
    include: ['etc/debian_version', 'etc/os-release', 'usr/lib/os-release'],
  },
];

/**
 * Packages the dependency walk never enters: interpreters and tools of maintainer scripts (the
 * image runs no maintainer scripts), documentation, and what only they pull in. None of them
 * provides a library FluxOps' programs load.
 */
export const BASE_EXCLUDED_PACKAGES: readonly string[] = [
  'perl',
  'perl-base',
  'perl-modules-5.36',
  'libperl5.36',
  'liberror-perl',
  'git-man',
  'debconf',
  'debconf-2.0',
  'cdebconf',
  'dpkg',
  'install-info',
  'tar',
  'adduser',
  'passwd',
  'openssl',
  'readline-common',
];

/** Where the image's non-root user lives; also HOME and the state volume. */
export const IMAGE_STATE_DIR = '/var/lib/fluxops';

/** The image's user: uid/gid 65532, the distroless "nonroot" id. */
export const IMAGE_USER = { name: 'fluxops', uid: 65532, gid: 65532 } as const;

/** Where the CA bundle is generated (the path Debian's OpenSSL, GnuTLS, curl and Go look at). */
export const CA_BUNDLE_PATH = 'etc/ssl/certs/ca-certificates.crt';

/** `/etc/passwd` of the image: root (for files it owns) and the non-root user that runs FluxOps. */
export const ETC_PASSWD = `root:x:0:0:root:/root:/usr/sbin/nologin\n${IMAGE_USER.name}:x:${IMAGE_USER.uid}:${IMAGE_USER.gid}:FluxOps:${IMAGE_STATE_DIR}:/usr/sbin/nologin\n`;

/** `/etc/group` of the image. */
export const ETC_GROUP = `root:x:0:\n${IMAGE_USER.name}:x:${IMAGE_USER.gid}:\n`;

/** `/etc/nsswitch.conf`: files, then DNS (glibc's built-in modules; no NSS plugins in the image). */
export const ETC_NSSWITCH = 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n';

/** Converts a selection glob to an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
