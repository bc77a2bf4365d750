import { EVENT_SEVERITY } from '../../../constructs';
import { InvalidEventError, createEvent, eventId, parseEvent, type ImageUpdatedEvent } from '../../../reconciler/notify';
import { IMAGE_SHA, NEW_DIGEST, allEvents, events } from './notify-fixtures';

function invalid(fn: () => unknown): InvalidEventError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidEventError) return err;
    throw err;
  }
  throw new Error('accepted');
}

describe('events', () => {
  test('createEvent fills severity by kind, the time, and a content-derived id', () => {
    for (const e of allEvents()) {
      expect(e.severity).toBe(EVENT_SEVERITY[e.kind]);
      expect(e.id).toMatch(/^[0-9a-f]{32}$/);
      expect(e.id).toBe(eventId(e));
      expect(e.occurredAt).toBe('2026-05-04T10:20:30.000Z');
    }
    expect(allEvents().map((e) => [e.kind, e.severity])).toEqual([
      ['reconcile.succeeded', 'info'],
      ['reconcile.failed', 'error'],
      ['drift.corrected', 'info'],
      ['image.updated', 'info'],
      ['image.refused', 'warning'],
      ['image.rolledback', 'warning'],
    ]);
  });

  test('the id is stable for the same event and changes with its content or time', () => {
    expect(events.updated().id).toBe(events.updated().id);
    expect(events.updated({ to: { tag: '1.5.1', digest: NEW_DIGEST } }).id).not.toBe(events.updated().id);
    const later = createEvent<ImageUpdatedEvent>({ ...withoutGenerated(events.updated()), occurredAt: '2026-05-04T10:20:31.000Z' });
    expect(later.id).not.toBe(events.updated().id);
    // Key order does not matter (canonical JSON).
    const e = events.updated();
    const reordered = Object.fromEntries(Object.entries(e).reverse());
    expect(eventId(reordered as typeof e)).toBe(e.id);
  });

  test('createEvent takes the time from the clock when none is given', () => {
    const e = createEvent<ImageUpdatedEvent>({ ...withoutGenerated(events.updated()), occurredAt: undefined } as never, () => new Date('2030-01-02T03:04:05.000Z'));
    expect(e.occurredAt).toBe('2030-01-02T03:04:05.000Z');
  });

  test('createEvent rejects input that breaks the schema, naming the field', () => {
    const base = withoutGenerated(events.updated());
    expect(invalid(() => createEvent({ ...base, commit: { sha: 'abc1234' } } as never))).toMatchObject({ field: 'commit.sha', value: 'abc1234', code: 'invalid-event' });
    expect(invalid(() => createEvent({ ...base, to: { tag: 'bad tag' } } as never)).field).toBe('to.tag');
    expect(invalid(() => createEvent({ ...base, extra: 1 } as never)).field).toBe('(root)');
    expect(invalid(() => createEvent({ ...base, kind: 'image.pushed' } as never))).toMatchObject({ field: 'kind', value: 'image.pushed' });
    expect(invalid(() => createEvent({ ...withoutGenerated(events.failed()), reason: 'two\nlines' } as never)).field).toBe('reason');
    expect(invalid(() => createEvent({ ...withoutGenerated(events.drift()), corrected: [] } as never)).field).toBe('corrected');
  });

  test('parseEvent round-trips JSON and refuses a wrong severity or a tampered id', () => {
    for (const e of allEvents()) expect(parseEvent(JSON.parse(JSON.stringify(e)))).toEqual(e);
    const e = events.updated();
    expect(invalid(() => parseEvent({ ...e, severity: 'error' })).field).toBe('severity');
    expect(invalid(() => parseEvent({ ...e, to: { tag: '9.9.9' } })).field).toBe('id');
    expect(invalid(() => parseEvent({ ...e, commit: { sha: IMAGE_SHA.toUpperCase() } }, 'queue.json')).message).toMatch(/^queue\.json: invalid commit\.sha/);
  });
});

function withoutGenerated<T extends { id: string; severity: string }>(e: T): Omit<T, 'id' | 'severity'> {
  const { id: _id, severity: _s, ...rest } = e;
  void _id;
  void _s;
  return rest;
}
