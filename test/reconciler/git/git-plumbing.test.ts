import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEFAULT_GIT_RETRY,
  GitConfigError,
  KeyedMutex,
  REDACTED,
  classifyGitFailure,
  displayGitUrl,
  gitAuthEnvironment,
  gitBackoffDelay,
  isTransientGitFailure,
  parseGitUrl,
  redactGitOutput,
  shellQuote,
  sshCommand,
  sshCommandArgs,
} from '../../../reconciler/git';

describe('parseGitUrl', () => {
  it.each([
    ['https://git.example.com/edge/fleet.git', 'https', 'git.example.com'],
    ['http://127.0.0.1:8080/fleet.git', 'http', '127.0.0.1:8080'],
    ['ssh://git@git.example.com:2222/edge/fleet.git', 'ssh', 'git.example.com:2222'],
    ['git@github.com:acme/fleet.git', 'ssh', 'github.com'],
    ['git://127.0.0.1:9418/fleet.git', 'git', '127.0.0.1:9418'],
    ['file:///srv/git/fleet.git', 'file', undefined],
    ['/srv/git/fleet.git', 'file', undefined],
  ])('%s is %s', (url, transport, host) => {
    const r = parseGitUrl(url);
    expect(r.transport).toBe(transport);
    expect(r.host).toBe(host);
    expect(r.url).toBe(url);
  });

  it('refuses credentials in http(s) URLs without repeating them', () => {
    for (const url of ['https://x-access-token:ghp_secret123@github.com/a/b.git', 'https://ghp_secret123@github.com/a/b.git']) {
      let err: unknown;
      try {
        parseGitUrl(url);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GitConfigError);
      expect((err as GitConfigError).field).toBe('url');
      expect((err as GitConfigError).value).toBe('https://github.com/a/b.git');
      expect((err as Error).message).not.toContain('ghp_secret123');
    }
  });

  it.each(['', ' https://a/b', 'ftp://host/x', '-uhttps://x', 'relative/path', 'https://', 'ssh://u:pw@host/x'])('refuses %j', (url) => {
    expect(() => parseGitUrl(url)).toThrow(GitConfigError);
  });

  it('displays URLs without user info, query or fragment', () => {
    expect(displayGitUrl('https://u:p@h.example/x.git?token=abc#f')).toBe('https://h.example/x.git');
    expect(displayGitUrl('ssh://git@h.example/x.git')).toBe('ssh://git@h.example/x.git');
    expect(displayGitUrl('git@h.example:x.git')).toBe('git@h.example:x.git');
  });
});

describe('gitAuthEnvironment', () => {
  const https = parseGitUrl('https://git.example.com:8443/edge/fleet.git');

  it('sends a token as a Basic Authorization header scoped to the origin, through config entries', async () => {
    const env = await gitAuthEnvironment(https, { kind: 'token', token: 'tok-123456' });
    const expected = `Basic ${Buffer.from('x-access-token:tok-123456').toString('base64')}`;
    expect(env.config).toEqual([['http.https://git.example.com:8443/.extraHeader', `Authorization: ${expected}`]]);
    expect(env.env).toEqual({});
    expect(env.withCredentials).toBe(true);
    expect(env.secrets).toEqual(expect.arrayContaining(['tok-123456', expected.slice('Basic '.length)]));
  });

  it('supports GitLab-style usernames and bearer tokens', async () => {
    const gitlab = await gitAuthEnvironment(https, { kind: 'token', token: 'glpat-abcdef', username: 'oauth2' });
    expect(gitlab.config[0]?.[1]).toBe(`Authorization: Basic ${Buffer.from('oauth2:glpat-abcdef').toString('base64')}`);
    const bearer = await gitAuthEnvironment(https, { kind: 'token', token: 'abcdefgh', scheme: 'bearer' });
    expect(bearer.config[0]?.[1]).toBe('Authorization: Bearer abcdefgh');
  });

  it('sends basic credentials as a header too', async () => {
    const env = await gitAuthEnvironment(https, { kind: 'basic', username: 'bot', password: 'pa ss:word' });
    expect(env.config[0]?.[1]).toBe(`Authorization: Basic ${Buffer.from('bot:pa ss:word').toString('base64')}`);
    expect(env.secrets).toContain('pa ss:word');
  });

  it('refuses credentials over plain http except to loopback, unless allowed', async () => {
    const remote = parseGitUrl('http://git.lan/fleet.git');
    await expect(gitAuthEnvironment(remote, { kind: 'token', token: 'tok-123456' })).rejects.toMatchObject({ name: 'GitConfigError', field: 'url' });
    await expect(gitAuthEnvironment(remote, { kind: 'token', token: 'tok-123456' }, { allowInsecureHttp: true })).resolves.toMatchObject({ withCredentials: true });
    await expect(gitAuthEnvironment(parseGitUrl('http://127.0.0.1:1/x.git'), { kind: 'token', token: 'tok-123456' })).resolves.toMatchObject({ withCredentials: true });
  });

  it('refuses mismatched transports and unsafe values without echoing secrets', async () => {
    await expect(gitAuthEnvironment(parseGitUrl('git@h:x.git'), { kind: 'token', token: 'tok-123456' })).rejects.toMatchObject({ field: 'auth.kind' });
    await expect(gitAuthEnvironment(https, { kind: 'ssh', privateKeyFile: '/k', knownHostsFile: '/kh' })).rejects.toMatchObject({ field: 'auth.kind' });
    const err = await gitAuthEnvironment(https, { kind: 'token', token: 'tok\r\nX-Evil: 1' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'GitConfigError', field: 'auth.token' });
    expect((err as Error).message).not.toContain('X-Evil');
    await expect(gitAuthEnvironment(https, { kind: 'basic', username: 'a:b', password: 'x' })).rejects.toMatchObject({ field: 'auth.username' });
  });

  describe('ssh', () => {
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-ssh-unit-'));
      fs.writeFileSync(path.join(dir, 'id key'), 'not really a key\n', { mode: 0o600 });
      fs.writeFileSync(path.join(dir, "known'hosts"), '[127.0.0.1]:2222 ssh-ed25519 AAAA\n');
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    const ssh = parseGitUrl('ssh://git@127.0.0.1:2222/fleet.git');

    it('builds GIT_SSH_COMMAND with strict host key checking by default', async () => {
      const key = path.join(dir, 'id key');
      const kh = path.join(dir, "known'hosts");
      const env = await gitAuthEnvironment(ssh, { kind: 'ssh', privateKeyFile: key, knownHostsFile: kh });
      expect(env.config).toEqual([]);
      expect(env.env.GIT_SSH_VARIANT).toBe('ssh');
      expect(env.env.GIT_SSH_COMMAND).toBe(sshCommand({ privateKeyFile: key, knownHostsFile: kh, insecureIgnoreHostKey: false, connectTimeoutSec: 15 }));
      const args = sshCommandArgs({ privateKeyFile: key, knownHostsFile: kh });
      expect(args).toEqual(expect.arrayContaining(['-i', key, 'StrictHostKeyChecking=yes', `UserKnownHostsFile=${kh}`, 'BatchMode=yes', 'IdentitiesOnly=yes', 'IdentityAgent=none']));
      expect(args).not.toContain('StrictHostKeyChecking=no');
      // The shell command quotes the paths with spaces and quotes.
      expect(env.env.GIT_SSH_COMMAND).toContain(`'${key}'`);
      expect(env.env.GIT_SSH_COMMAND).toContain(`'UserKnownHostsFile=${kh.replace(/'/g, `'\\''`)}'`);
    });

    it('ignores host keys only when asked explicitly', async () => {
      const env = await gitAuthEnvironment(ssh, { kind: 'ssh', privateKeyFile: path.join(dir, 'id key'), insecureIgnoreHostKey: true });
      expect(env.env.GIT_SSH_COMMAND).toContain('StrictHostKeyChecking=no');
      expect(env.env.GIT_SSH_COMMAND).toContain('UserKnownHostsFile=/dev/null');
    });

    it('requires a known_hosts file and readable files', async () => {
      await expect(gitAuthEnvironment(ssh, { kind: 'ssh', privateKeyFile: path.join(dir, 'id key') })).rejects.toMatchObject({ field: 'auth.knownHostsFile' });
      await expect(gitAuthEnvironment(ssh, { kind: 'ssh', privateKeyFile: path.join(dir, 'missing'), knownHostsFile: path.join(dir, "known'hosts") })).rejects.toMatchObject({
        field: 'auth.privateKeyFile',
      });
    });
  });
});

describe('shellQuote', () => {
  it.each([
    ['plain/path-1.2', 'plain/path-1.2'],
    ['with space', `'with space'`],
    [`it's`, `'it'\\''s'`],
    ['$(rm -rf /)', `'$(rm -rf /)'`],
  ])('%j -> %s', (word, quoted) => expect(shellQuote(word)).toBe(quoted));
});

describe('classifyGitFailure', () => {
  const f = (stderr: string, exitCode: number | null = 128, timedOut = false) => classifyGitFailure({ stderr, exitCode, timedOut });
  it.each([
    ["fatal: unable to access 'http://127.0.0.1:1/x.git/': Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server", 'unreachable'],
    ["fatal: unable to access 'https://nope.invalid/x/': Could not resolve host: nope.invalid", 'unreachable'],
    ["fatal: unable to access 'http://127.0.0.1:5/x.git/': The requested URL returned error: 503", 'unreachable'],
    ['fatal: read error: Connection reset by peer', 'unreachable'],
    ['ssh: connect to host 127.0.0.1 port 2: Connection refused\r\nfatal: Could not read from remote repository.', 'unreachable'],
    ["fatal: could not read Username for 'http://127.0.0.1:5': terminal prompts disabled", 'auth'],
    ["remote: Invalid username or password.\nfatal: Authentication failed for 'https://github.com/a/b.git/'", 'auth'],
    ["fatal: unable to access 'https://h/x.git/': The requested URL returned error: 403", 'auth'],
    ['git@127.0.0.1: Permission denied (publickey).\r\nfatal: Could not read from remote repository.', 'auth'],
    ['No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\r\nHost key verification failed.', 'host-key'],
    ["fatal: '/tmp/x.git' does not appear to be a git repository", 'repository-not-found'],
    ['fatal: remote error: access denied or repository not exported: /nope.git', 'repository-not-found'],
    ["fatal: repository 'http://127.0.0.1:5/nope.git/' not found", 'repository-not-found'],
    ['fatal: remote error: upload-pack: not our ref 0123456789012345678901234567890123456789', 'commit-not-found'],
    ['error: Server does not allow request for unadvertised object 0123456789012345678901234567890123456789', 'commit-not-found'],
    ["fatal: couldn't find remote ref refs/heads/nope", 'ref-not-found'],
    ["fatal: Unable to create '/c/repos/x.git/shallow.lock': File exists.", 'busy'],
    ['fatal: something else entirely', 'other'],
  ])('%s -> %s', (stderr, kind) => expect(f(stderr)).toBe(kind));

  it('a timeout wins over whatever was printed', () => expect(f('fatal: Authentication failed', null, true)).toBe('timeout'));
  it('retries only faults', () => {
    expect(['timeout', 'unreachable', 'busy'].every((k) => isTransientGitFailure(k as never))).toBe(true);
    expect(['auth', 'host-key', 'repository-not-found', 'ref-not-found', 'commit-not-found', 'other'].some((k) => isTransientGitFailure(k as never))).toBe(false);
  });
});

describe('redactGitOutput', () => {
  it('removes secrets, URL user info and Authorization headers', () => {
    const out = redactGitOutput("fatal: 'https://bot:s3cr3t-token@h/x.git' failed\n> Authorization: Basic Ym90OnMzY3IzdA==\ns3cr3t-token again", ['s3cr3t-token']);
    expect(out).not.toContain('s3cr3t-token');
    expect(out).not.toContain('Ym90OnMzY3IzdA==');
    expect(out).toContain(`Authorization: ${REDACTED}`);
    expect(out).toContain("'https://h/x.git'");
  });
  it('keeps the end of long output', () => {
    const out = redactGitOutput(`${'x'.repeat(5000)}END`, [], 100);
    expect(out.endsWith('END')).toBe(true);
    expect(out.length).toBe(101);
  });
});

describe('gitBackoffDelay', () => {
  it('doubles, caps and jitters within [cap/2, cap]', () => {
    const opts = { ...DEFAULT_GIT_RETRY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((r) => gitBackoffDelay(r, opts, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 5].map((r) => gitBackoffDelay(r, opts, () => 0.999999))).toEqual([100, 200, 400, 800, 1000]);
  });
});

describe('KeyedMutex', () => {
  it('runs work of one key one at a time, in order, and other keys in parallel; a failure does not block the next', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    const step = (name: string, ms: number, fail = false) => async () => {
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`end ${name}`);
      if (fail) throw new Error(name);
      return name;
    };
    const a1 = m.run('a', step('a1', 30, true));
    const a2 = m.run('a', step('a2', 5));
    const b1 = m.run('b', step('b1', 5));
    await expect(a1).rejects.toThrow('a1');
    await expect(a2).resolves.toBe('a2');
    await expect(b1).resolves.toBe('b1');
    expect(log.indexOf('end a1')).toBeLessThan(log.indexOf('start a2'));
    expect(log.indexOf('start b1')).toBeLessThan(log.indexOf('end a1'));
  });
});
