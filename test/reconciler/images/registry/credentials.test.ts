import { inspect } from 'node:util';
import {
  canonicalRegistryHost,
  credentialsFromDockerConfigSecret,
  DockerConfigError,
  InvalidImageNameError,
  parseDockerConfig,
  parseDockerConfigText,
  parseImageName,
  Secret,
} from '../../../../reconciler/images/registry';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('image names (Docker normalization)', () => {
  test.each([
    ['nginx', { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/nginx' }],
    ['fluxcd/flux', { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'fluxcd/flux' }],
    ['docker.io/nginx', { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/nginx' }],
    ['index.docker.io/library/nginx', { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/nginx' }],
    ['ghcr.io/org/app', { registry: 'ghcr.io', apiHost: 'ghcr.io', repository: 'org/app' }],
    ['registry.local:5000/edge/sensor-gateway', { registry: 'registry.local:5000', apiHost: 'registry.local:5000', repository: 'edge/sensor-gateway' }],
    ['localhost/app', { registry: 'localhost', apiHost: 'localhost', repository: 'app' }],
  ])('%s', (image, expected) => {
    expect(parseImageName(image)).toEqual(expected);
  });

  test.each(['Edge/App', 'ghcr.io/org/app:1.0', 'app@sha256:' + 'a'.repeat(64), ''])('refuses %s', (image) => {
    expect(() => parseImageName(image)).toThrow(InvalidImageNameError);
  });

  test.each([
    ['https://index.docker.io/v1/', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['HTTPS://GHCR.IO', 'ghcr.io'],
    ['http://127.0.0.1:5000/v2/', '127.0.0.1:5000'],
  ])('config.json key %s -> %s', (key, host) => {
    expect(canonicalRegistryHost(key)).toBe(host);
  });
});

describe('Docker config.json credentials', () => {
  test('auth, username/password, identitytoken, registrytoken; keys matched like Docker', () => {
    const store = parseDockerConfig(
      {
        auths: {
          'https://index.docker.io/v1/': { auth: b64('hub-user:hub:pass') },
          'ghcr.io': { username: 'gh', password: 'ghp_x' },
          'registry.local:5000': { identitytoken: 'refresh-1' },
          'quay.io': { registrytoken: 'tok' },
          'helper-managed.io': {},
        },
        credsStore: 'desktop',
      },
      '~/.docker/config.json',
    );
    expect(store.registries).toEqual(['docker.io', 'ghcr.io', 'registry.local:5000', 'quay.io']);
    const hub = store.lookup('registry-1.docker.io');
    expect(hub).toMatchObject({ kind: 'basic', username: 'hub-user' });
    expect(hub?.kind === 'basic' && hub.password.reveal()).toBe('hub:pass'); // only the first colon splits
    expect(store.lookup('docker.io')).toBe(hub);
    expect(store.lookup('ghcr.io')).toMatchObject({ kind: 'basic', username: 'gh' });
    expect(store.lookup('registry.local:5000')).toMatchObject({ kind: 'identity-token' });
    expect(store.lookup('quay.io')).toMatchObject({ kind: 'registry-token' });
    expect(store.lookup('helper-managed.io')).toBeUndefined();
    expect(store.lookup('registry.local')).toBeUndefined(); // the port is part of the host
  });

  test('secrets never show in JSON, String() or inspect', () => {
    const store = parseDockerConfig({ auths: { 'ghcr.io': { username: 'gh', password: 'ghp_supersecret' } } }, 'x');
    const cred = store.lookup('ghcr.io');
    expect(JSON.stringify(cred)).not.toContain('ghp_supersecret');
    expect(inspect(cred, { depth: 5 })).not.toContain('ghp_supersecret');
    expect(`${String(new Secret('s3'))}`).toBe('<redacted>');
  });

  test.each<[string, unknown, string]>([
    ['auth not base64 user:password', { auths: { 'ghcr.io': { auth: b64('nocolon') } } }, 'auths["ghcr.io"].auth'],
    ['password without username', { auths: { 'ghcr.io': { password: 'p' } } }, 'auths["ghcr.io"].username'],
    ['auths not an object', { auths: [1] }, 'auths'],
  ])('refuses %s, naming the field and not the value', (_t, json, field) => {
    let caught: unknown;
    try {
      parseDockerConfig(json, 'secret flux-system/regcred');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DockerConfigError);
    expect(caught).toMatchObject({ code: 'invalid-docker-config', source: 'secret flux-system/regcred', field });
    expect((caught as Error).message).not.toContain('nocolon');
  });

  test('text that is not JSON', () => {
    expect(() => parseDockerConfigText('{auths', 'config.json')).toThrow(DockerConfigError);
  });

  test('from a kubernetes.io/dockerconfigjson Secret', () => {
    const data = { '.dockerconfigjson': b64(JSON.stringify({ auths: { 'ghcr.io': { auth: b64('u:p') } } })) };
    const store = credentialsFromDockerConfigSecret({ metadata: { name: 'regcred', namespace: 'apps' }, type: 'kubernetes.io/dockerconfigjson', data });
    expect(store.lookup('ghcr.io')).toMatchObject({ kind: 'basic', username: 'u' });
    expect(() => credentialsFromDockerConfigSecret({ metadata: { name: 'regcred' }, type: 'Opaque', data })).toThrow('secret regcred: invalid type: is "Opaque", expected "kubernetes.io/dockerconfigjson"');
    expect(() => credentialsFromDockerConfigSecret({ type: 'kubernetes.io/dockerconfigjson', data: {} })).toThrow(/data\[".dockerconfigjson"\]/);
  });
});
