import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  IMAGE_LOCK_FILE,
  ImageLock,
  ImageLockError,
  emptyImageLock,
  findLockEntry,
  parseImageLock,
  serializeImageLock,
  withLockEntry,
  withoutLockEntry,
} from '../../constructs';
import { digestOf } from './fleet-fixture';

const EXAMPLE_DIR = path.resolve(__dirname, '../../examples/edge-fleet');
const entry = (tag: string, seed = 'a') => ({
  image: 'registry.local:5000/edge/gateway',
  tag,
  digest: digestOf(seed),
  updatedAt: '2025-11-20T10:00:00Z',
});

function lockText(body: string): string {
  return `schemaVersion: 1\npolicies:\n  gateway:\n${body}`;
}

function parseError(text: string): ImageLockError {
  try {
    parseImageLock(text, 'clusters/fluxops.lock.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ImageLockError);
    return e as ImageLockError;
  }
  throw new Error('expected parseImageLock to throw');
}

describe('image lock', () => {
  test('parses the example lock', () => {
    const file = path.join(EXAMPLE_DIR, 'fluxops.lock.yaml');
    const lock = parseImageLock(fs.readFileSync(file, 'utf8'), file);
    expect(Object.keys(lock.policies)).toEqual(['dashboard', 'mqtt-broker', 'sensor-gateway']);
    expect(lock.policies['sensor-gateway']).toMatchObject({ tag: '1.4.2', updatedAt: '2025-11-20T10:00:00Z', platforms: ['linux/arm64'] });
    expect(findLockEntry(lock, 'mqtt-broker', 'warehouse-b')).toMatchObject({ scope: 'site', entry: { tag: '2.0.18' } });
    expect(findLockEntry(lock, 'mqtt-broker', 'factory-a')).toMatchObject({ scope: 'fleet', entry: { tag: '2.0.20' } });
    expect(findLockEntry(lock, 'nope')).toBeUndefined();
  });

  test.each([
    ['bad digest', lockText(`    image: registry.local:5000/edge/gateway\n    tag: 1.2.3\n    digest: sha256:xyz\n    updatedAt: "2025-11-20T10:00:00Z"\n`), 'policies.gateway.digest', 'is not a valid digest'],
    ['missing tag', lockText(`    image: registry.local:5000/edge/gateway\n    digest: ${digestOf('a')}\n    updatedAt: "2025-11-20T10:00:00Z"\n`), 'policies.gateway.tag', 'is required'],
    ['numeric tag', lockText(`    image: registry.local:5000/edge/gateway\n    tag: 1.10\n    digest: ${digestOf('a')}\n    updatedAt: "2025-11-20T10:00:00Z"\n`), 'policies.gateway.tag', 'quote values that look like numbers'],
    ['unknown field', lockText(`    image: registry.local:5000/edge/gateway\n    tag: 1.2.3\n    digest: ${digestOf('a')}\n    updatedAt: "2025-11-20T10:00:00Z"\n    pinned: true\n`), 'policies.gateway.pinned', 'is not a known field'],
    ['bad timestamp', lockText(`    image: registry.local:5000/edge/gateway\n    tag: 1.2.3\n    digest: ${digestOf('a')}\n    updatedAt: yesterday\n`), 'policies.gateway.updatedAt', 'ISO-8601'],
    ['image with a tag', lockText(`    image: registry.local:5000/edge/gateway:1.2.3\n    tag: 1.2.3\n    digest: ${digestOf('a')}\n    updatedAt: "2025-11-20T10:00:00Z"\n`), 'policies.gateway.image', 'must not contain a tag'],
    ['unsupported schema version', 'schemaVersion: 2\npolicies: {}\n', 'schemaVersion', 'unsupported schema version 2'],
    ['missing schema version', 'policies: {}\n', 'schemaVersion', 'is required'],
    ['empty file', '', 'schemaVersion', 'is required (the file is empty)'],
    ['bad policy key', 'schemaVersion: 1\npolicies:\n  Gateway_1: {}\n', 'policies.Gateway_1', 'is not a valid key'],
  ])('%s names the file and the field', (_title, text, field, reason) => {
    const err = parseError(text);
    expect(err.name).toBe('ImageLockError');
    expect(err.source).toBe('clusters/fluxops.lock.yaml');
    expect(err.field).toBe(field);
    expect(err.message).toContain(`clusters/fluxops.lock.yaml: ${field}: `);
    expect(err.message).toContain(reason);
  });

  test('bad YAML names the file, line and column', () => {
    const err = parseError('schemaVersion: 1\npolicies:\n  gateway: {tag: [\n');
    expect(err.field).toBeUndefined();
    // The flow sequence opened on line 3 is still open when the file ends on line 4.
    expect(err.line).toBe(4);
    expect(err.column).toBe(1);
    expect(err.message).toMatch(/^clusters\/fluxops\.lock\.yaml:4:1: invalid YAML: Flow sequence .* end with a \]$/);
  });

  test('duplicate keys are rejected', () => {
    const err = parseError('schemaVersion: 1\nschemaVersion: 1\n');
    expect(err.message).toContain('invalid YAML');
  });

  test('serializer is deterministic and round-trips', () => {
    let lock: ImageLock = emptyImageLock();
    lock = withLockEntry(lock, 'zeta', { ...entry('2.0.0', 'b'), platforms: ['linux/arm64', 'linux/amd64'] });
    lock = withLockEntry(lock, 'alpha', entry('1.10'));
    lock = withLockEntry(lock, 'alpha', entry('1.0.0', 'c'), 'site-b');
    const text = serializeImageLock(lock);
    expect(text).toMatchSnapshot();
    expect(parseImageLock(text, 'memory')).toEqual(lock);
    expect(serializeImageLock(parseImageLock(text, 'memory'))).toBe(text);
    expect(text).toContain('tag: "1.10"');
    expect(text.indexOf('alpha:')).toBeLessThan(text.indexOf('zeta:'));
  });

  test('the example lock file is in canonical form', () => {
    const text = fs.readFileSync(path.join(EXAMPLE_DIR, IMAGE_LOCK_FILE), 'utf8');
    expect(serializeImageLock(parseImageLock(text, IMAGE_LOCK_FILE))).toBe(text);
  });

  test('updates are pure', () => {
    const base = withLockEntry(emptyImageLock(), 'gateway', entry('1.0.0'));
    const next = withLockEntry(base, 'gateway', entry('1.1.0'));
    expect(base.policies.gateway.tag).toBe('1.0.0');
    expect(next.policies.gateway.tag).toBe('1.1.0');
    const held = withLockEntry(next, 'gateway', entry('1.0.0'), 'site-a');
    expect(withoutLockEntry(held, 'gateway', 'site-a')).toEqual(next);
    expect(withoutLockEntry(next, 'gateway')).toEqual(emptyImageLock());
  });

  test('the serializer refuses to write an invalid lock', () => {
    const bad = withLockEntry(emptyImageLock(), 'gateway', { ...entry('1.0.0'), digest: 'sha256:nope' });
    expect(() => serializeImageLock(bad)).toThrow(ImageLockError);
    expect(() => serializeImageLock(bad)).toThrow(/policies\.gateway\.digest/);
  });
});
