import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import type { Stack } from '@pulumi/pulumi/automation';

import { locateToolchain } from '../../dev/toolchain';
import { Alert, alertSpecs } from '../../constructs';
import { AlertSecretError, createNotifier, type Notifier } from '../../reconciler/notify';
import { openSiteStack, pulumiProcessEnv, readAlertsConfig, resolvePulumiSettings, type PulumiSettings } from '../../stacks';
import { startReceiver, type TestReceiver } from '../support/http-receiver';
import { events, notifyFleet } from '../reconciler/notify/notify-fixtures';

const run = promisify(execFile);

/**
 * The documented way to give an alert its secrets, with the real `pulumi` CLI (toolchain build,
 * file backend, passphrase secrets): `pulumi config set --secret --path
 * 'fluxops:alerts.<secretRef>.<key>'`, read back through the Automation API, then used by a
 * notifier that delivers to a real receiver on 127.0.0.1.
 */
describe('fluxops:alerts stack config with the real pulumi CLI', () => {
  const toolchain = locateToolchain();
  const HMAC_KEY = 'hmac-from-pulumi-0123456789';
  let dir: string;
  let project: string;
  let settings: PulumiSettings;
  let env: NodeJS.ProcessEnv;
  let receiver: TestReceiver;
  let stack: Stack;
  let notifier: Notifier | undefined;

  const pulumi = (args: string[]) =>
    run(toolchain.bin('pulumi'), [...args, '--stack', 'factory-a', '--non-interactive', '--color=never'], { cwd: project, env, maxBuffer: 16 << 20 });

  beforeAll(async () => {
    receiver = await startReceiver(() => ({ status: 200 }));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxops-alerts-config-'));
    project = path.join(dir, 'project');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'Pulumi.yaml'), 'name: fleet-config\nruntime: nodejs\n');
    settings = resolvePulumiSettings({ stateDir: dir, passphrase: { kind: 'value', passphrase: 'alerts passphrase' }, cli: 'toolchain', env: {} });
    env = pulumiProcessEnv(settings);
    await run(toolchain.bin('pulumi'), ['stack', 'init', 'factory-a', '--non-interactive'], { cwd: project, env });
    await pulumi(['config', 'set', '--secret', '--path', 'fluxops:alerts.fleet-hook.url', `${receiver.origin}/hooks/fleet/PathToken0123456789`]);
    await pulumi(['config', 'set', '--secret', '--path', 'fluxops:alerts.fleet-hook.hmacKey', HMAC_KEY]);
    // Forgot --secret: the URL lands in Pulumi.factory-a.yaml in plain text.
    await pulumi(['config', 'set', '--path', 'fluxops:alerts.ops-slack.url', `${receiver.origin}/services/T1/B2/PlainTextLeak0123`]);
    stack = await openSiteStack({ site: 'factory-a', settings, workDir: project, program: async () => ({}) });
  }, 120_000);

  afterAll(async () => {
    await notifier?.close({ drainMs: 0 });
    await receiver?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('secrets are encrypted in the stack file and decrypted by readAlertsConfig; plain-text ones are found', async () => {
    const stackFile = fs.readFileSync(path.join(project, 'Pulumi.factory-a.yaml'), 'utf8');
    expect(stackFile).not.toContain(HMAC_KEY);
    expect(stackFile).not.toContain('PathToken0123456789');
    expect(stackFile).toContain('PlainTextLeak0123');
    const config = await readAlertsConfig(stack);
    expect(config).toEqual({
      secrets: {
        'fleet-hook': { hmacKey: HMAC_KEY, url: `${receiver.origin}/hooks/fleet/PathToken0123456789` },
        'ops-slack': { url: `${receiver.origin}/services/T1/B2/PlainTextLeak0123` },
      },
      plaintextKeys: ['fluxops:alerts.ops-slack.url'],
    });
  });

  test('a notifier built from them delivers a signed event; an alert on a plain-text secret is refused', async () => {
    const f = notifyFleet();
    new Alert(f.fleet, 'fleet-events', { provider: { kind: 'webhook', secretRef: 'fleet-hook' }, events: ['image.updated'], severity: 'info' });
    const config = await readAlertsConfig(stack);
    notifier = createNotifier({ alerts: alertSpecs(f.fleet, 'factory-a'), ...config, logger: { warn: () => undefined } });
    const e = events.updated();
    notifier.notify(e);
    await notifier.whenIdle();
    expect(receiver.requests).toHaveLength(1);
    const got = receiver.requests[0];
    expect(got.url).toBe('/hooks/fleet/PathToken0123456789');
    expect(got.headers['x-fluxops-signature-256']).toBe(`sha256=${createHmac('sha256', HMAC_KEY).update(got.body).digest('hex')}`);

    const g = notifyFleet();
    new Alert(g.fleet, 'ops', { provider: { kind: 'slack', secretRef: 'ops-slack' }, events: ['reconcile.failed'], severity: 'error' });
    let refused: unknown;
    try {
      createNotifier({ alerts: alertSpecs(g.fleet), ...config });
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(AlertSecretError);
    expect(refused).toMatchObject({ code: 'alert-secret-plaintext', alert: 'ops', configKey: 'fluxops:alerts.ops-slack.url' });
    expect((refused as Error).message).not.toContain('PlainTextLeak0123');
  });

  test('a config key the notifier needs but nobody set names the exact command', async () => {
    const f = notifyFleet();
    new Alert(f.fleet, 'statuses', { provider: { kind: 'github', repository: 'acme/fleet-config' }, events: ['reconcile.succeeded'], severity: 'info' });
    const config = await readAlertsConfig(stack);
    expect(() => createNotifier({ alerts: alertSpecs(f.fleet), ...config })).toThrow(
      "alert statuses: fluxops:alerts.statuses.token is not set; set it with: pulumi config set --secret --path 'fluxops:alerts.statuses.token' <value>",
    );
  });
});
