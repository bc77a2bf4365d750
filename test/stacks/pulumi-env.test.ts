import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { PassphraseMissingError, defaultStateDir, pulumiEnvironment, requirePassphrase, resolvePulumiSettings } from '../../stacks';

describe('one Pulumi module: settings and environment', () => {
  it('keeps state under the user state directory, never in the FluxOps install', () => {
    expect(defaultStateDir({ XDG_STATE_HOME: '/var/lib/me' })).toBe('/var/lib/me/fluxops');
    expect(defaultStateDir({})).toBe(path.join(os.homedir(), '.local', 'state', 'fluxops'));
    expect(defaultStateDir({ FLUXOPS_STATE_DIR: '/srv/fluxops' })).toBe('/srv/fluxops');
    const s = resolvePulumiSettings({ env: { XDG_STATE_HOME: '/var/lib/me' }, cli: 'path' });
    expect(s.backendUrl).toBe('file:///var/lib/me/fluxops/pulumi/backend');
    expect(s.pulumiHome).toBe('/var/lib/me/fluxops/pulumi/home');
    expect(s.backendUrl).not.toContain(path.resolve(__dirname, '..', '..'));
  });

  it('honours PULUMI_BACKEND_URL, PULUMI_HOME and a passphrase file', () => {
    const s = resolvePulumiSettings({ env: { PULUMI_BACKEND_URL: 's3://bucket/edge', PULUMI_HOME: '/h', PULUMI_CONFIG_PASSPHRASE_FILE: '/run/secrets/pp', PULUMI_CONFIG_PASSPHRASE: 'ignored' }, cli: 'path' });
    expect(s).toMatchObject({ backendUrl: 's3://bucket/edge', pulumiHome: '/h', passphrase: { kind: 'file', file: '/run/secrets/pp' } });
  });

  it('sets the switches once, passing the passphrase by file when it came from one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-env-'));
    try {
      const s = resolvePulumiSettings({ stateDir: dir, env: {}, passphrase: { kind: 'file', file: '/run/pp' }, cli: 'path' });
      const env = pulumiEnvironment(s, { PATH: '/usr/bin' });
      expect(env).toMatchObject({
        PULUMI_HOME: path.join(dir, 'pulumi', 'home'),
        PULUMI_BACKEND_URL: `file://${path.join(dir, 'pulumi', 'backend')}`,
        PULUMI_SKIP_UPDATE_CHECK: 'true',
        PULUMI_CONFIG_PASSPHRASE_FILE: '/run/pp',
      });
      expect(env.PULUMI_CONFIG_PASSPHRASE).toBeUndefined();
      expect(fs.statSync(path.join(dir, 'pulumi', 'backend')).isDirectory()).toBe(true);
      // PATH's pulumi: plugins may be downloaded as a laptop's Pulumi would
      expect(env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a file backend without a passphrase is a typed error', () => {
    const s = resolvePulumiSettings({ stateDir: '/tmp/x', env: {}, cli: 'path' });
    expect(() => requirePassphrase(s)).toThrow(PassphraseMissingError);
    expect(() => requirePassphrase(s)).toThrow(/PULUMI_CONFIG_PASSPHRASE_FILE/);
  });
});
