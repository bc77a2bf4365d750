import { StackConfigError, parseSecretsConfig } from '../../stacks';

describe('fluxops:secrets stack config', () => {
  it('reads <namespace>/<name> -> key -> value, sorted', () => {
    expect(parseSecretsConfig({ 'edge-apps/mqtt-credentials': { password: 'p', username: 'u' }, 'a/b': { k: 'v' } })).toEqual([
      { namespace: 'a', name: 'b', data: { k: 'v' } },
      { namespace: 'edge-apps', name: 'mqtt-credentials', data: { password: 'p', username: 'u' } },
    ]);
    expect(parseSecretsConfig(undefined)).toEqual([]);
  });

  it.each([
    // `pulumi config set --secret --path fluxops:secrets.ns/name pw`: the key was forgotten
    ['a key-less secret', { 'edge-apps/mqtt-credentials': 'hunter2' }, 'fluxops:secrets.edge-apps/mqtt-credentials', /was the key forgotten/],
    ['no namespace', { 'mqtt-credentials': { password: 'x' } }, 'fluxops:secrets.mqtt-credentials', /must be "<namespace>\/<name>"/],
    ['a bad namespace', { 'Edge_Apps/creds': { password: 'x' } }, 'fluxops:secrets.Edge_Apps/creds', /namespace "Edge_Apps"/],
    ['a bad name', { 'edge/Creds!': { password: 'x' } }, 'fluxops:secrets.edge/Creds!', /Secret name "Creds!"/],
    ['no keys', { 'edge/creds': {} }, 'fluxops:secrets.edge/creds', /has no keys/],
    ['a number value', { 'edge/creds': { port: 5 } }, 'fluxops:secrets.edge/creds.port', /must be a string value \(got number\)/],
    ['a bad key', { 'edge/creds': { 'pass word': 'x' } }, 'fluxops:secrets.edge/creds.pass word', /not a valid Secret key/],
    ['a list', ['x'], 'fluxops:secrets', /must be a map/],
  ])('refuses %s, naming the key and never the value', (_what, raw, key, reason) => {
    let err: unknown;
    try {
      parseSecretsConfig(raw);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StackConfigError);
    expect((err as StackConfigError).key).toBe(key);
    expect((err as Error).message).toMatch(reason);
    expect((err as Error).message).not.toMatch(/hunter2/);
  });
});
