import { nextLink, parseRetryAfter, parseWwwAuthenticate } from '../../../../reconciler/images/registry';

describe('WWW-Authenticate', () => {
  test.each([
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
      [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' } }],
    ],
    ['Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    [
      'Basic realm="x", Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/a:pull,push"',
      [
        { scheme: 'basic', params: { realm: 'x' } },
        { scheme: 'bearer', params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:o/a:pull,push' } },
      ],
    ],
    ['bearer REALM=https://h/t, service=h', [{ scheme: 'bearer', params: { realm: 'https://h/t', service: 'h' } }]],
    ['Bearer realm="a \\"quoted\\" realm"', [{ scheme: 'bearer', params: { realm: 'a "quoted" realm' } }]],
    ['', []],
  ])('%s', (header, expected) => {
    expect(parseWwwAuthenticate(header)).toEqual(expected);
  });
});

describe('Link rel="next"', () => {
  test.each([
    ['</v2/a/tags/list?last=b&n=100>; rel="next"', '/v2/a/tags/list?last=b&n=100'],
    ['<https://r.io/v2/a/tags/list?last=b>; rel=next', 'https://r.io/v2/a/tags/list?last=b'],
    ['</p1>; rel="prev", </p3>; rel="next"', '/p3'],
    ['</p1>; rel="prev"', undefined],
    [null, undefined],
  ])('%s', (header, expected) => {
    expect(nextLink(header)).toBe(expected);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  test.each([
    ['7', 7000],
    ['0', 0],
    ['Sun, 01 Mar 2026 12:00:30 GMT', 30_000],
    ['Sun, 01 Mar 2026 11:59:00 GMT', 0],
    ['soon', undefined],
    ['-1', undefined],
    [null, undefined],
  ])('%s -> %s', (header, expected) => {
    expect(parseRetryAfter(header, now)).toBe(expected);
  });
});
