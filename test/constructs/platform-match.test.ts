import { validation } from '../../constructs';

describe('platform normalization and matching (containerd rules)', () => {
  test.each([
    [['linux', 'arm64', 'v8'], 'linux/arm64'],
    [['linux', 'aarch64', undefined], 'linux/arm64'],
    [['Linux', 'x86_64', undefined], 'linux/amd64'],
    [['linux', 'amd64', 'v1'], 'linux/amd64'],
    [['linux', 'amd64', 'v3'], 'linux/amd64/v3'],
    [['linux', 'arm', undefined], 'linux/arm/v7'],
    [['linux', 'arm', '6'], 'linux/arm/v6'],
    [['linux', 'armhf', undefined], 'linux/arm/v7'],
    [['unknown', 'unknown', undefined], 'unknown/unknown'],
  ] as const)('%j -> %s', ([os, arch, variant], expected) => {
    expect(validation.normalizePlatform(os, arch, variant)).toBe(expected);
  });

  test.each([
    ['linux/arm64', 'linux/arm64/v8', true],
    ['linux/arm64', 'linux/arm64/v9', true],
    ['linux/arm64/v9', 'linux/arm64', false],
    ['linux/arm64', 'linux/amd64', false],
    ['linux/arm/v7', 'linux/arm', true],
    ['linux/arm/v7', 'linux/arm/v6', false],
    ['linux/amd64', 'linux/amd64/v3', true],
  ])('%s served by %s: %s', (required, available, expected) => {
    expect(validation.platformSatisfies(required, available)).toBe(expected);
  });
});
