import { defaultFluxOpsDependency } from '../../../cli/scaffold';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';

describe('defaultFluxOpsDependency', () => {
  it.each([
    ['https://github.com/acme/fluxops.git', `git+https://github.com/acme/fluxops.git#${COMMIT}`],
    ['ssh://git@git.example.com/acme/fluxops.git', `git+ssh://git@git.example.com/acme/fluxops.git#${COMMIT}`],
    ['git@github.com:acme/fluxops.git', `git+ssh://git@github.com/acme/fluxops.git#${COMMIT}`],
  ])('pins the origin %s at the running commit', (origin, spec) => {
    expect(defaultFluxOpsDependency({ origin, commit: COMMIT, dirty: false }, '0.1.0')).toEqual({
      spec,
      source: 'checkout',
      reason: 'the origin and commit of this FluxOps checkout',
    });
  });

  it('says when the checkout has changes the pinned commit lacks', () => {
    expect(defaultFluxOpsDependency({ origin: 'https://github.com/acme/fluxops.git', commit: COMMIT, dirty: true }, '0.1.0').reason).toMatch(/uncommitted changes/);
  });

  it.each([
    [{ problem: 'this FluxOps is not a Git checkout' }, /not a Git checkout/],
    [{ origin: '/srv/git/fluxops', commit: COMMIT }, /\/srv\/git\/fluxops\) is not a URL other machines can fetch/],
    [{ origin: 'file:///srv/git/fluxops', commit: COMMIT }, /not a URL other machines can fetch/],
  ])('falls back to a placeholder with the reason: %o', (checkout, reason) => {
    const dep = defaultFluxOpsDependency(checkout, '0.1.0');
    expect(dep).toMatchObject({ spec: 'git+https://git.example.com/your-org/fluxops.git#v0.1.0', source: 'placeholder' });
    expect(dep.reason).toMatch(reason);
  });

  it('never copies a credential from the origin URL, not even into the reason', () => {
    const dep = defaultFluxOpsDependency({ origin: 'https://oauth2:glpat-SECRET123@gitlab.example.com/acme/fluxops.git', commit: COMMIT }, '0.1.0');
    expect(dep.source).toBe('placeholder');
    expect(JSON.stringify(dep)).not.toContain('SECRET123');
    expect(dep.reason).toContain('https://***@gitlab.example.com/acme/fluxops.git');
  });
});
