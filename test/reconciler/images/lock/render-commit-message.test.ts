import * as fs from 'node:fs';
import * as path from 'node:path';
import { CommitTemplateError, DEFAULT_COMMIT_MESSAGE_TEMPLATE, GitSource, ImagePolicy, ImageRepository, ImageUpdateAutomation, defineFleet } from '../../../../constructs';
import {
  CommitMessageSettings,
  ImageChangeSet,
  LockUpdate,
  commitMessageSettings,
  commitTemplateChanges,
  renderCommitMessage,
  updateLockText,
  updateSetters,
} from '../../../../reconciler/images/lock';

const EXAMPLE_LOCK = fs.readFileSync(path.resolve(__dirname, '../../../../examples/edge-fleet/fluxops.lock.yaml'), 'utf8');
const d = (c: string) => `sha256:${c.repeat(64)}`;
const SETTINGS: CommitMessageSettings = { automationName: 'fleet-images', namespace: 'flux-system', messageTemplate: DEFAULT_COMMIT_MESSAGE_TEMPLATE };

/** A realistic change set: a fleet-wide bump, a site pin, and a marked manifest. */
function changeSet(): ImageChangeSet {
  const updates: LockUpdate[] = [
    { action: 'set', policy: 'sensor-gateway', entry: { image: 'registry.local:5000/edge/sensor-gateway', tag: '1.4.3', digest: d('1'), updatedAt: '2025-12-01T09:00:00Z', platforms: ['linux/arm64'] } },
    { action: 'set', policy: 'mqtt-broker', site: 'warehouse-b', entry: { image: 'registry.local:5000/edge/eclipse-mosquitto', tag: '2.0.19', digest: d('2'), updatedAt: '2025-12-01T09:00:00Z', platforms: ['linux/arm64'] } },
  ];
  const lock = updateLockText(EXAMPLE_LOCK, updates, { source: 'fluxops.lock.yaml' });
  const setters = updateSetters(
    { 'clusters/legacy/gateway.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: gw, namespace: legacy}\nspec:\n  image: registry.local:5000/edge/sensor-gateway:1.4.2 # {"$imagepolicy": "flux-system:sensor-gateway"}\n' },
    { 'flux-system:sensor-gateway': { name: 'registry.local:5000/edge/sensor-gateway', tag: '1.4.3', digest: d('1') } },
  );
  return { lockFile: 'fluxops.lock.yaml', lock: lock.changes, setters: setters.changes };
}

describe('renderCommitMessage', () => {
  test('the default template lists old -> new references (tag and digest) in file order', () => {
    expect(renderCommitMessage(SETTINGS, changeSet())).toBe(
      [
        'chore(images): update images for fleet-images',
        '',
        '- registry.local:5000/edge/sensor-gateway:1.4.2 -> registry.local:5000/edge/sensor-gateway:1.4.3',
        '- registry.local:5000/edge/sensor-gateway:1.4.2@sha256:6503fe951d7bda17f90f1afc49446e188da33817d672a66e54e4897d7e30dad6 -> ' +
          `registry.local:5000/edge/sensor-gateway:1.4.3@${d('1')}`,
        `- registry.local:5000/edge/eclipse-mosquitto:2.0.18@sha256:3bed6abfc8f6a2d4e31231e33f805445230c43bb7de0a80fe375487016ee1c69 -> registry.local:5000/edge/eclipse-mosquitto:2.0.19@${d('2')}`,
        '',
      ].join('\n'),
    );
  });

  test('a template can show policy, site, tags and digests through Flux\'s object identifiers', () => {
    const template = [
      'Update images ({{ len .Changed.Changes }})',
      '{{ range $object, $changes := .Changed.Objects }}{{ if eq $object.Kind "ImageLockEntry" }}{{ range $changes }}',
      '- {{ $object.Name }}{{ with $object.Namespace }} (site {{ . }}){{ end }}: {{ .OldValue | splitList "@" | first | splitList ":" | last }} -> {{ .NewValue | splitList "@" | first | splitList ":" | last }} ({{ .NewValue | splitList "@" | last | trunc 19 }})',
      '{{- end }}{{ end }}{{ end }}',
    ].join('\n');
    expect(renderCommitMessage({ ...SETTINGS, messageTemplate: template }, changeSet())).toBe(
      ['Update images (3)', '', '- mqtt-broker (site warehouse-b): 2.0.18 -> 2.0.19 (sha256:222222222222)', '- sensor-gateway: 1.4.2 -> 1.4.3 (sha256:111111111111)'].join('\n'),
    );
  });

  test('the CI-skip marker is appended once', () => {
    const withMarker = renderCommitMessage({ ...SETTINGS, skipCi: true }, changeSet()) ?? '';
    expect(withMarker.endsWith('\n\n[skip ci]\n')).toBe(true);
    expect(withMarker.split('[skip ci]')).toHaveLength(2);
    const baked = renderCommitMessage({ ...SETTINGS, messageTemplate: `${DEFAULT_COMMIT_MESSAGE_TEMPLATE.trimEnd()}\n\n[skip ci]\n`, skipCi: true }, changeSet()) ?? '';
    expect(baked.split('[skip ci]')).toHaveLength(2);
  });

  test('settings come from the construct (name, Flux namespace, template with the marker baked in)', () => {
    let automation: ImageUpdateAutomation | undefined;
    defineFleet({ name: 'edge-fleet', fluxNamespace: 'flux-ops' }, (fleet) => {
      const source = new GitSource(fleet, 'config', { url: 'https://git.example.com/edge/config.git', ref: { kind: 'branch', name: 'main' } });
      const repo = new ImageRepository(fleet, 'gw-repo', { name: 'gateway', image: 'registry.local:5000/edge/gateway' });
      const policy = new ImagePolicy(fleet, 'gw', { name: 'gateway', repository: repo, policy: { kind: 'semver', range: '^1.0.0' }, initialTag: '1.0.0' });
      automation = new ImageUpdateAutomation(fleet, 'images', {
        source,
        policies: [policy],
        author: { name: 'Bot', email: 'bot@example.com' },
        skipCi: true,
        messageTemplate: '{{ .AutomationObject }}: {{ range .Changed.Changes }}{{ .Setter }} {{ end }}',
      });
    }).create();
    const settings = commitMessageSettings(automation as ImageUpdateAutomation);
    expect(settings).toMatchObject({ automationName: 'images', namespace: 'flux-ops', skipCi: true });
    const lock = updateLockText(undefined, [{ action: 'set', policy: 'gateway', entry: { image: 'registry.local:5000/edge/gateway', tag: '1.0.1', digest: d('3'), updatedAt: '2025-12-01T09:00:00Z' } }], { source: 'x' });
    expect(renderCommitMessage(settings, { lock: lock.changes })).toBe('flux-ops/images: flux-ops:gateway \n\n[skip ci]\n');
  });

  test('an empty change set renders nothing', () => {
    expect(renderCommitMessage(SETTINGS, {})).toBeUndefined();
    expect(renderCommitMessage(SETTINGS, { lock: [], setters: [] })).toBeUndefined();
  });

  test('a template that renders only whitespace is an error, not an empty commit', () => {
    expect(() => renderCommitMessage({ ...SETTINGS, messageTemplate: '{{ if false }}x{{ end }}  \n' }, changeSet())).toThrow(CommitTemplateError);
  });

  test('created and removed entries have an empty old or new value', () => {
    const lock = updateLockText(EXAMPLE_LOCK, [{ action: 'remove', policy: 'dashboard' }, { action: 'set', policy: 'cam', entry: { image: 'r/cam', tag: '1', digest: d('4'), updatedAt: '2025-12-01T09:00:00Z' } }], { source: 'x' });
    const changes = commitTemplateChanges({ lock: lock.changes }, 'flux-system');
    expect(changes.map((c) => [c.object?.name, c.oldValue === '', c.newValue === ''])).toEqual([
      ['cam', true, false],
      ['dashboard', false, true],
    ]);
  });

  test('the same change set always renders the same bytes', () => {
    expect(renderCommitMessage(SETTINGS, changeSet())).toBe(renderCommitMessage(SETTINGS, changeSet()));
  });
});
