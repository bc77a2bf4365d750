import { StackConfigError, parseAlertsConfig } from '../../stacks';

function refused(raw: unknown): StackConfigError {
  try {
    parseAlertsConfig(raw);
  } catch (err) {
    if (err instanceof StackConfigError) return err;
    throw err;
  }
  throw new Error('accepted');
}

describe('parseAlertsConfig', () => {
  test('accepts secretRef -> url / hmacKey / token, in sorted order', () => {
    expect(parseAlertsConfig({ 'ops-slack': { url: 'https://hooks.slack.com/x' }, gh: { token: 't' }, hook: { hmacKey: 'k', url: 'http://h' } })).toEqual({
      gh: { token: 't' },
      hook: { hmacKey: 'k', url: 'http://h' },
      'ops-slack': { url: 'https://hooks.slack.com/x' },
    });
    expect(parseAlertsConfig(undefined)).toEqual({});
  });

  test('names the key and never the value', () => {
    const secret = 'https://hooks.slack.com/services/T1/B2/SECRETVALUE';
    const cases: [unknown, string, RegExp][] = [
      [secret, 'fluxops:alerts', /must be a map/],
      [{ 'ops-slack': secret }, 'fluxops:alerts.ops-slack', /was the key forgotten\?/],
      [{ 'ops-slack': { URL: secret } }, 'fluxops:alerts.ops-slack.URL', /is not an alert secret key \(keys: hmacKey, token, url\)/],
      [{ 'ops-slack': { url: 42 } }, 'fluxops:alerts.ops-slack.url', /must be a string value \(got number\)/],
      [{ 'Ops.Slack': { url: secret } }, 'fluxops:alerts.Ops.Slack', /DNS-1123 label/],
    ];
    for (const [raw, key, reason] of cases) {
      const err = refused(raw);
      expect(err.key).toBe(key);
      expect(err.reason).toMatch(reason);
      expect(err.code).toBe('invalid-stack-config');
      expect(err.message).not.toContain('SECRETVALUE');
    }
  });
});
