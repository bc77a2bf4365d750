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

describe('lockWriteBack: holds and bad tags', () => {
  const HOLD = { tag: '1.4.2', reason: '1.5.0 leaks memory', since: '2026-11-26T10:00:00Z' };
  const BAD = { tag: '1.5.0', reason: 'rollout failed: crash loop', since: '2026-11-26T10:05:00Z' };
  const held = (text: string, hold = HOLD) => `${text}holds:\n  sensor-gateway:\n    tag: ${hold.tag}\n    reason: ${hold.reason}\n    since: "${hold.since}"\n`;

  it('records the hold or bad-tag record each decision was made against', () => {
    const lock = parseImageLock(held(LOCK), 'lock');
    const decisions = lockDecisions(lock, [
      { action: 'remove-hold', policy: 'sensor-gateway' },
      { action: 'set-hold', policy: 'dashboard', hold: HOLD },
      { action: 'add-bad-tag', policy: 'sensor-gateway', badTag: BAD },
    ]);
    expect(decisions.map((d) => d.base)).toEqual([HOLD, undefined, undefined]);
  });

  it('applies holds and bad tags decided against the head, with their own change sets', () => {
    const plan = run(
      lockWriteBack({ decisions: lockDecisions(BASE, [{ action: 'set-hold', policy: 'sensor-gateway', hold: HOLD }, { action: 'add-bad-tag', policy: 'sensor-gateway', badTag: BAD }]) }),
      head(LOCK),
    );
    expect(plan.conflicts).toEqual([]);
    expect(plan.changes.lock).toEqual([]);
    expect(plan.changes.holds).toEqual([expect.objectContaining({ action: 'created', policy: 'sensor-gateway', to: HOLD })]);
    expect(plan.changes.badTags).toEqual([{ action: 'added', policy: 'sensor-gateway', tag: '1.5.0', badTag: BAD }]);
    expect(parseImageLock(plan.files['fluxops.lock.yaml'] as string, 'x')).toMatchObject({ holds: { 'sensor-gateway': HOLD }, badTags: { 'sensor-gateway': [BAD] } });
  });

  it('a person who changed the same hold wins: the update is a conflict and nothing is written', () => {
    // Decided against a lock without a hold; meanwhile a person held the policy elsewhere.
    const decisions = lockDecisions(BASE, [{ action: 'set-hold', policy: 'sensor-gateway', hold: HOLD }]);
    const theirs = { ...HOLD, tag: '1.4.1', reason: 'bisecting' };
    const plan = run(lockWriteBack({ decisions }), head(held(LOCK, theirs)));
    expect(plan.files).toEqual({});
    expect(plan.conflicts).toEqual([{ policy: 'sensor-gateway', current: theirs, wanted: HOLD, reason: 'hold-changed' }]);
    // A release decided against our hold conflicts when the person moved the hold, too.
    const release = lockDecisions(parseImageLock(held(LOCK), 'x'), [{ action: 'remove-hold', policy: 'sensor-gateway' }]);
    expect(run(lockWriteBack({ decisions: release }), head(held(LOCK, theirs))).conflicts).toEqual([{ policy: 'sensor-gateway', base: HOLD, current: theirs, reason: 'hold-changed' }]);
  });

  it('what the head already has is skipped without a conflict: the same hold (any since), a tag already bad, a hold already released', () => {
    const sameHold = lockDecisions(BASE, [{ action: 'set-hold', policy: 'sensor-gateway', hold: { ...HOLD, since: '2027-01-01T00:00:00Z' } }]);
    expect(run(lockWriteBack({ decisions: sameHold }), head(held(LOCK)))).toMatchObject({ files: {}, conflicts: [] });
    const marked = run(lockWriteBack({ decisions: lockDecisions(BASE, [{ action: 'add-bad-tag', policy: 'sensor-gateway', badTag: BAD }]) }), head(LOCK)).files['fluxops.lock.yaml'] as string;
    const again = lockDecisions(BASE, [{ action: 'add-bad-tag', policy: 'sensor-gateway', badTag: { ...BAD, reason: 'someone else saw it too' } }]);
    expect(run(lockWriteBack({ decisions: again }), head(marked))).toMatchObject({ files: {}, conflicts: [] });
    const release = lockDecisions(parseImageLock(held(LOCK), 'x'), [{ action: 'remove-hold', policy: 'sensor-gateway' }]);
    expect(run(lockWriteBack({ decisions: release }), head(LOCK))).toMatchObject({ files: {}, conflicts: [] });
  });

  it('an entry update and a bad mark go in one commit; the setters follow the entry only', () => {
    const decisions = lockDecisions(BASE, [{ action: 'add-bad-tag', policy: 'sensor-gateway', badTag: BAD }, { action: 'set', policy: 'sensor-gateway', entry: GW }]);
    const plan = run(lockWriteBack({ decisions, setters: { namespace: 'flux-system' } }), head(LOCK, { 'clusters/app.yaml': MARKERS }));
    expect(plan.changes.lock?.map((c) => c.policy)).toEqual(['sensor-gateway']);
    expect(plan.changes.badTags?.map((c) => c.tag)).toEqual(['1.5.0']);
    expect(plan.files['clusters/app.yaml']).toContain('sensor-gateway:1.4.3');
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
