import { fc, test as propTest } from '@fast-check/jest';
import { repositoryIdentity, sameRepository } from '../../../../reconciler/source/webhook';

describe('repositoryIdentity', () => {
  it.each([
    ['https://github.com/acme/fleet-config.git', 'github.com/acme/fleet-config'],
    ['https://github.com/acme/fleet-config', 'github.com/acme/fleet-config'],
    ['https://GitHub.COM/Acme/Fleet-Config.git/', 'github.com/acme/fleet-config'],
    ['https://user:token@github.com:443/acme/fleet-config.git', 'github.com/acme/fleet-config'],
    ['http://git.local:3000/acme/fleet-config.git', 'git.local/acme/fleet-config'],
    ['ssh://git@github.com/acme/fleet-config.git', 'github.com/acme/fleet-config'],
    ['ssh://git@gitea.example.com:2222/acme/fleet-config.git', 'gitea.example.com/acme/fleet-config'],
    ['git+ssh://git@github.com/acme/fleet-config', 'github.com/acme/fleet-config'],
    ['git://github.com/acme/fleet-config.git', 'github.com/acme/fleet-config'],
    ['git@github.com:acme/fleet-config.git', 'github.com/acme/fleet-config'],
    ['github.com:acme/fleet-config', 'github.com/acme/fleet-config'],
    ['git@gitlab.com:group/sub/project.git', 'gitlab.com/group/sub/project'],
    ['github.com/acme/fleet-config', 'github.com/acme/fleet-config'],
    ['file:///srv/git/fleet.git', '/srv/git/fleet'],
    ['/srv/git/fleet.git', '/srv/git/fleet'],
    ['https://[::1]:8443/acme/repo.git', '::1/acme/repo'],
  ])('%s -> %s', (url, identity) => {
    expect(repositoryIdentity(url)).toBe(identity);
  });

  it.each(['', '   ', 'https://', 'https://github.com', 'https://github.com/', 'not a url', 'git@github.com:'])('%j has no identity', (url) => {
    expect(repositoryIdentity(url)).toBeUndefined();
  });

  it('tells different repositories apart', () => {
    expect(sameRepository('https://github.com/acme/fleet', 'https://github.com/acme/fleet-config')).toBe(false);
    expect(sameRepository('https://github.com/acme/fleet', 'https://gitlab.com/acme/fleet')).toBe(false);
    expect(sameRepository('https://github.com/acme/fleet', 'https://github.com/other/fleet')).toBe(false);
    expect(sameRepository('', '')).toBe(false);
  });

  const segment = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,11}$/);
  // A top-level label is never numeric (WHATWG URL would read `a.0` as a malformed IPv4 address).
  const tldArb = fc.stringMatching(/^[a-z]{2,6}$/);
  propTest.prop([segment, tldArb, fc.array(segment, { minLength: 1, maxLength: 3 }), fc.boolean()])(
    'https, ssh, scp-style and web URLs of one repository share one identity',
    (hostName, tld, pathSegs, upper) => {
      const host = `${hostName}.${tld}`;
      const path = pathSegs.join('/');
      const forms = [
        `https://${host}/${path}.git`,
        `https://${host}/${path}`,
        `ssh://git@${host}:22/${path}.git`,
        `git@${host}:${path}.git`,
        `http://${upper ? host.toUpperCase() : host}/${upper ? path.toUpperCase() : path}/`,
      ];
      const ids = new Set(forms.map(repositoryIdentity));
      expect([...ids]).toEqual([`${host}/${path}`]);
    },
  );
});
