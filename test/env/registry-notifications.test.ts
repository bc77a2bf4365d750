import { parse } from 'yaml';
import { notificationEndpointsYaml, RegistryNotificationConfigError } from '../../dev/registry';

describe('local registry notification endpoints', () => {
  it('renders distribution\'s notifications.endpoints list', () => {
    const yaml = notificationEndpointsYaml([
      { name: 'fluxops', url: 'http://127.0.0.1:8080/hooks/registry/distribution', headers: { Authorization: 'Bearer s3cret' }, ignoredMediaTypes: ['application/octet-stream'] },
    ]);
    expect(parse(yaml)).toEqual([
      {
        name: 'fluxops',
        url: 'http://127.0.0.1:8080/hooks/registry/distribution',
        headers: { Authorization: ['Bearer s3cret'] },
        timeout: '2000ms',
        threshold: 3,
        backoff: '250ms',
        ignore: { mediatypes: ['application/octet-stream'], actions: [] },
      },
    ]);
  });

  it.each([
    ['https://example.com/hook', 'notifications[0].url'],
    ['http://10.0.0.1:80/hook', 'notifications[0].url'],
    ['not a url', 'notifications[0].url'],
  ])('refuses %s', (url, field) => {
    expect(() => notificationEndpointsYaml([{ name: 'x', url }])).toThrow(expect.objectContaining({ field, code: 'registry-notification-config-invalid' }));
  });

  it('refuses header values with line breaks without echoing them', () => {
    let error: unknown;
    try {
      notificationEndpointsYaml([{ name: 'x', url: 'http://127.0.0.1:1/h', headers: { Authorization: 'Bearer s3cret\nX-Evil: 1' } }]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RegistryNotificationConfigError);
    expect((error as Error).message).not.toContain('s3cret');
    expect(error).toMatchObject({ field: 'notifications[0].headers.Authorization' });
  });
});
