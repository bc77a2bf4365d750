import pino from 'pino';

import { NotificationHub } from '../../../reconciler/loop/notification-hub';
import { resolvePulumiSettings } from '../../../stacks/pulumi-env';

describe('NotificationHub events', () => {
  it('a failed run whose reason spans lines (a fleet with several problems) still becomes an event, on one line', () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const hub = new NotificationHub({ site: 'edge', repository: 'file:///fleet.git', branch: 'main', settings: resolvePulumiSettings({ stateDir: '/nonexistent', cli: 'path', env: {} }), workDir: '/nonexistent', logger });
    const reason = 'the fleet is invalid (2 problems); nothing was applied\n  - a: bad\r\n  - b: bad';
    const event = (hub as unknown as { toEvent(e: unknown): { reason: string } | undefined }).toEvent({ kind: 'reconcile.failed', site: 'edge', reason, code: 'synthesis-invalid-fleet', stalled: true });
    expect(event?.reason).toBe('the fleet is invalid (2 problems); nothing was applied - a: bad - b: bad');
    const refused = (hub as unknown as { toEvent(e: unknown): { reason: string } | undefined }).toEvent({ kind: 'image.refused', policy: 'gateway', tag: '1.5.0', code: 'missing-platform', message: 'no arm64\nimage' });
    expect(refused?.reason).toBe('no arm64 image');
    expect(lines.filter((l) => l.event === 'notification-invalid')).toEqual([]);
  });
});
