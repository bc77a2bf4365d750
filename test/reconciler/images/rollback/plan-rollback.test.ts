import { emptyImageLock, withLockEntry, type ImageLock, type ImageLockEntry } from '../../../../constructs/lock';
import type { ImageUse } from '../../../../constructs/synth/synthesize';
import { planRollbacks, rollbackMessage, rollbackReason, rollbackUpdates } from '../../../../reconciler/images/rollback';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const entry = (tag: string, digest: string): ImageLockEntry => ({ image: 'registry.local/edge/web', tag, digest, updatedAt: '2026-11-26T10:00:00Z', platforms: ['linux/amd64', 'linux/arm64'] });
const lockWith = (e: ImageLockEntry, site?: string): ImageLock => withLockEntry(emptyImageLock(), 'web', e, site);
const use = (over: Partial<ImageUse> = {}): ImageUse => ({
  object: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'apps', name: 'web' },
  container: 'web',
  path: ['spec', 'template', 'spec', 'containers', 0, 'image'],
  policy: 'web',
  image: 'registry.local/edge/web',
  tag: '1.5.0',
  digest: D2,
  reference: `registry.local/edge/web:1.5.0@${D2}`,
  origin: 'lock',
  ...over,
});
const crash = { id: 'Deployment/apps/web', message: 'pod web-1: container web CrashLoopBackOff (3 restarts)', pod: { pod: 'web-1', container: 'web', reason: 'CrashLoopBackOff', restarts: 3 } };
const base = { site: 'edge-1', images: [use()], unhealthy: [crash], previousLock: lockWith(entry('1.4.3', D1)), currentLock: lockWith(entry('1.5.0', D2)), enabled: () => true };

describe('planRollbacks', () => {
  it('rolls back an image update whose workload failed: the previous entry is restored, the failing one named', () => {
    const { plans, skipped } = planRollbacks(base);
    expect(skipped).toEqual([]);
    expect(plans).toEqual([{ policy: 'web', failing: entry('1.5.0', D2), previous: entry('1.4.3', D1), objects: [crash] }]);
  });

  it('leaves alone what an image update did not cause, and says why', () => {
    const cases: Array<[Partial<typeof base>, string]> = [
      [{ enabled: () => false }, 'disabled'],
      [{ previousLock: lockWith(entry('1.5.0', D2)) }, 'unchanged'],
      [{ previousLock: undefined }, 'no-previous-entry'],
      [{ images: [use({ origin: 'hold' })] }, 'not-from-lock'],
    ];
    for (const [over, reason] of cases) {
      const d = planRollbacks({ ...base, ...over });
      expect(d.plans).toEqual([]);
      expect(d.skipped).toEqual([expect.objectContaining({ policy: 'web', reason })]);
    }
  });

  it('never goes back to a tag marked bad (a failed roll-back is not rolled "forward")', () => {
    const current: ImageLock = { ...lockWith(entry('1.4.3', D1)), badTags: { web: [{ tag: '1.5.0', reason: 'crash', since: '2026-11-26T10:00:00Z' }] } };
    const d = planRollbacks({ ...base, images: [use({ tag: '1.4.3', digest: D1 })], previousLock: lockWith(entry('1.5.0', D2)), currentLock: current });
    expect(d.plans).toEqual([]);
    expect(d.skipped).toEqual([expect.objectContaining({ reason: 'previous-is-bad' })]);
  });

  it('ignores healthy workloads and workloads of other policies', () => {
    expect(planRollbacks({ ...base, unhealthy: [{ id: 'Deployment/apps/other', message: 'x' }] })).toEqual({ plans: [], skipped: [] });
  });

  it("rolls back a site's own entry on that site", () => {
    const d = planRollbacks({ ...base, previousLock: lockWith(entry('1.4.3', D1), 'edge-1'), currentLock: lockWith(entry('1.5.0', D2), 'edge-1') });
    expect(d.plans[0]).toMatchObject({ policy: 'web', site: 'edge-1' });
  });
});

describe('roll-back lock updates and message', () => {
  const [plan] = planRollbacks(base).plans;
  const now = new Date('2026-11-26T12:00:00.123Z');

  it('sets the previous entry back (updated now) and marks the failing tag bad with the pod state', () => {
    expect(rollbackUpdates([plan], now)).toEqual([
      { action: 'set', policy: 'web', entry: { ...entry('1.4.3', D1), updatedAt: '2026-11-26T12:00:00Z' } },
      { action: 'add-bad-tag', policy: 'web', badTag: { tag: '1.5.0', reason: rollbackReason(plan), since: '2026-11-26T12:00:00Z' } },
    ]);
    expect(rollbackReason(plan)).toBe('rollout failed on Deployment/apps/web: pod web-1: container web CrashLoopBackOff (3 restarts)');
  });

  it('keeps the reason one line and short', () => {
    const long = { ...plan, objects: [{ id: 'Deployment/apps/web', message: `line one\nline two ${'x'.repeat(500)}` }] };
    expect(rollbackReason(long)).not.toMatch(/\n/);
    expect(rollbackReason(long).length).toBeLessThanOrEqual(300);
  });

  it('says what went back from which tag to which, and why', () => {
    expect(rollbackMessage('edge-1', 'a'.repeat(40), [plan])).toBe(
      [
        'Roll back web 1.5.0 -> 1.4.3: rollout failed on site edge-1',
        '',
        'The rollout of aaaaaaaaaaaa did not become healthy.',
        '',
        `- web: 1.5.0 (${D2}) -> 1.4.3 (${D1}); 1.5.0 marked bad`,
        '  Deployment/apps/web: pod web-1: container web CrashLoopBackOff (3 restarts)',
        '',
      ].join('\n'),
    );
  });
});
