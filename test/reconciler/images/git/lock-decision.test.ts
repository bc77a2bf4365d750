import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseImageLock, type ImageLockEntry } from '../../../../constructs/lock';
import { GitConfigError } from '../../../../reconciler/git';
import { lockDecisions, lockWriteBack, parsePushStatus, policyUpdateBranch, type WriteBackHead, type WriteBackPlan } from '../../../../reconciler/images/git';

const LOCK = fs.readFileSync(path.resolve(__dirname, '../../../../examples/edge-fleet/fluxops.lock.yaml'), 'utf8');
const BASE = parseImageLock(LOCK, 'lock');
const d = (c: string) => `sha256:${c.repeat(64)}`;
const GW: ImageLockEntry = { image: 'registry.local:5000/edge/sensor-gateway', tag: '1.4.3', digest: d('c'), updatedAt: '2026-01-15T12:00:00Z', platforms: ['linux/arm64'] };
const BROKER_B: ImageLockEntry = { image: 'registry.local:5000/edge/eclipse-mosquitto', tag: '2.0.19', digest: d('b'), updatedAt: '2026-01-15T12:00:00Z', platforms: ['linux/arm64'] };
const MARKERS = [
  'spec:',
  '  containers:',
  '    - image: registry.local:5000/edge/sensor-gateway:1.4.2 # {"$imagepolicy": "flux-system:sensor-gateway"}',
  '    - image: registry.local:5000/edge/dashboard:old # {"$imagepolicy": "flux-system:dashboard"}',
  '    - image: registry.local:5000/edge/x:1 # {"$imagepolicy": "flux-system:not-in-lock"}',
  '',
].join('\n');

const head = (lockText: string | undefined, files: Record<string, string> = {}): WriteBackHead => ({ commit: 'a'.repeat(40), branch: 'main', lockFile: 'fluxops.lock.yaml', lockText, files });
const run = (compute: ReturnType<typeof lockWriteBack>, h: WriteBackHead) => compute(h) as WriteBackPlan;

describe('lockWriteBack', () => {
  const decisions = lockDecisions(BASE, [
    { action: 'set', policy: 'sensor-gateway', entry: GW },
    { action: 'set', policy: 'mqtt-broker', site: 'warehouse-b', entry: BROKER_B },
    { action: 'remove', policy: 'dashboard' },
  ]);

  it('records the base entry of each decision', () => {
    expect(decisions.map((x) => x.base?.tag)).toEqual(['1.4.2', '2.0.18', 'main-9b1e4d7-1732000000']);
    expect(lockDecisions(undefined, [{ action: 'set', policy: 'new', entry: GW }])[0]?.base).toBeUndefined();
  });

  it('applies every decision whose entry is unchanged at the head', () => {
    const plan = run(lockWriteBack({ decisions }), head(LOCK));
    expect(plan.conflicts).toEqual([]);
    expect(plan.changes.lock?.map((c) => [c.action, c.policy, c.site])).toEqual([
      ['removed', 'dashboard', undefined],
      ['updated', 'sensor-gateway', undefined],
      ['updated', 'mqtt-broker', 'warehouse-b'],
    ]);
    expect(Object.keys(plan.files)).toEqual(['fluxops.lock.yaml']);
  });

  it('drops and reports an update whose entry a person changed; the others go ahead', () => {
    const human = LOCK.replace('tag: 2.0.18', 'tag: 2.0.17');
    const plan = run(lockWriteBack({ decisions }), head(human));
    expect(plan.conflicts).toEqual([
      { policy: 'mqtt-broker', site: 'warehouse-b', base: BASE.sites['warehouse-b']?.['mqtt-broker'], current: { ...BASE.sites['warehouse-b']?.['mqtt-broker'], tag: '2.0.17' }, wanted: BROKER_B, reason: 'entry-changed' },
    ]);
    expect(plan.changes.lock?.map((c) => c.policy)).toEqual(['dashboard', 'sensor-gateway']);
    expect(plan.files['fluxops.lock.yaml']).toContain('tag: 2.0.17');
  });

  it('treats a removed or added entry as a human change too', () => {
    // A person removed the entry (everything from its key up to `sites:`).
    const withoutGw = LOCK.replace(/  sensor-gateway:\n(    .*\n)+?(?=sites:)/, '');
    expect(parseImageLock(withoutGw, 'x').policies['sensor-gateway']).toBeUndefined();
    expect(Object.keys(parseImageLock(withoutGw, 'x').policies)).toEqual(['dashboard', 'mqtt-broker']);
    const plan = run(lockWriteBack({ decisions: lockDecisions(BASE, [{ action: 'set', policy: 'sensor-gateway', entry: GW }]) }), head(withoutGw));
    expect(plan.conflicts?.[0]).toMatchObject({ policy: 'sensor-gateway', reason: 'entry-changed', wanted: GW });
    expect(plan.conflicts?.[0]?.current).toBeUndefined();
    expect(plan.files).toEqual({});
  });

  it('skips an update the head already has (ours earlier, or the same image picked by a person), with no conflict', () => {
    const applied = run(lockWriteBack({ decisions }), head(LOCK)).files['fluxops.lock.yaml'] as string;
    const again = run(lockWriteBack({ decisions }), head(applied));
    expect(again).toMatchObject({ files: {}, conflicts: [] });
    expect(again.changes.lock).toEqual([]);
  });

  it('creates the lock when the head has none', () => {
    const plan = run(lockWriteBack({ decisions: lockDecisions(undefined, [{ action: 'set', policy: 'sensor-gateway', entry: GW }]) }), head(undefined));
    expect(parseImageLock(plan.files['fluxops.lock.yaml'] as string, 'x').policies['sensor-gateway']).toEqual(GW);
  });

  it('applies setter markers of changed policies only, and reports no problems for markers of other locked policies', () => {
    const plan = run(lockWriteBack({ decisions: lockDecisions(BASE, [{ action: 'set', policy: 'sensor-gateway', entry: GW }]), setters: { namespace: 'flux-system' } }), head(LOCK, { 'clusters/app.yaml': MARKERS }));
    expect(plan.files['clusters/app.yaml']).toBe(MARKERS.replace('sensor-gateway:1.4.2', 'sensor-gateway:1.4.3'));
    expect(plan.changes.setters?.map((c) => [c.setter, c.from, c.to])).toEqual([['flux-system:sensor-gateway', 'registry.local:5000/edge/sensor-gateway:1.4.2', 'registry.local:5000/edge/sensor-gateway:1.4.3']]);
    // `not-in-lock` is a real problem; `dashboard` is in the lock, just not part of this run.
    expect(plan.problems?.map((p) => [p.code, p.setter])).toEqual([['unknown-policy', 'flux-system:not-in-lock']]);
  });
});

describe('parsePushStatus', () => {
  const ref = 'refs/heads/main';
  it.each([
    [' \tabc:refs/heads/main\t1111111..2222222', 'updated'],
    ['*\tabc:refs/heads/main\t[new branch]', 'updated'],
    ['+\tabc:refs/heads/main\t1111111...2222222 (forced update)', 'updated'],
    ['=\tabc:refs/heads/main\t[up to date]', 'updated'],
    ['!\tabc:refs/heads/main\t[rejected] (fetch first)', 'moved'],
    ['!\tabc:refs/heads/main\t[rejected] (non-fast-forward)', 'moved'],
    ['!\tabc:refs/heads/main\t[rejected] (stale info)', 'moved'],
    ['!\tabc:refs/heads/main\t[remote rejected] (pre-receive hook declined)', 'refused'],
    ['!\tabc:refs/heads/main\t[remote rejected] (protected branch hook declined)', 'refused'],
  ])('%s -> %s', (line, kind) => expect(parsePushStatus(`To http://x/fleet.git\n${line}\nDone\n`, ref)?.kind).toBe(kind));

  it('finds only the line of the ref asked for', () => {
    expect(parsePushStatus('!\tabc:refs/heads/other\t[rejected] (fetch first)\n', ref)).toBeUndefined();
    expect(parsePushStatus('', ref)).toBeUndefined();
    expect(parsePushStatus('!\tabc:refs/heads/main\t[remote rejected] (pre-receive hook declined)\n', ref)).toEqual({ kind: 'refused', reason: 'pre-receive hook declined' });
  });
});

describe('policyUpdateBranch', () => {
  it('names one branch per policy (and site)', () => {
    expect(policyUpdateBranch('sensor-gateway')).toBe('fluxops/update-sensor-gateway');
    expect(policyUpdateBranch('mqtt-broker', { site: 'warehouse-b' })).toBe('fluxops/update-warehouse-b-mqtt-broker');
    expect(policyUpdateBranch('gw', { prefix: 'automation/' })).toBe('automation/gw');
  });
  it('refuses names git would refuse', () => {
    expect(() => policyUpdateBranch('a..b')).toThrow(GitConfigError);
    expect(() => policyUpdateBranch('x.lock')).toThrow(GitConfigError);
    expect(() => policyUpdateBranch('')).toThrow(GitConfigError);
  });
});
