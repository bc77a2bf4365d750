import { createHmac } from 'node:crypto';
import {
  hmacSha256Hex,
  normalizeSecrets,
  requireHmacSignature,
  requireToken,
  tokenMatches,
  UnauthorizedRequestError,
  verifyHmacSha256,
  WebhookConfigError,
} from '../../../reconciler/http';

const body = Buffer.from('{"ref":"refs/heads/main"}');

describe('HMAC-SHA256 signatures', () => {
  it('matches an independently computed HMAC over the raw bytes', () => {
    const expected = createHmac('sha256', 's3cret').update(body).digest('hex');
    expect(hmacSha256Hex('s3cret', body)).toBe(expected);
    expect(verifyHmacSha256(body, expected, ['s3cret'])).toBe(true);
    expect(verifyHmacSha256(body, expected.toUpperCase(), ['s3cret'])).toBe(true);
  });

  it('refuses another secret, another body, a short or non-hex digest', () => {
    const sig = hmacSha256Hex('s3cret', body);
    expect(verifyHmacSha256(body, sig, ['other'])).toBe(false);
    expect(verifyHmacSha256(Buffer.from(`${body.toString()} `), sig, ['s3cret'])).toBe(false);
    expect(verifyHmacSha256(body, sig.slice(0, 63), ['s3cret'])).toBe(false);
    expect(verifyHmacSha256(body, `${sig.slice(0, 63)}g`, ['s3cret'])).toBe(false);
    expect(verifyHmacSha256(body, '', ['s3cret'])).toBe(false);
  });

  it('accepts any of several secrets (rotation)', () => {
    expect(verifyHmacSha256(body, hmacSha256Hex('new', body), ['old', 'new'])).toBe(true);
    expect(verifyHmacSha256(body, hmacSha256Hex('old', body), ['old', 'new'])).toBe(true);
  });

  it.each([
    ['missing', {}, 'missing'],
    ['without prefix', { 'x-hub-signature-256': hmacSha256Hex('s3cret', body) }, 'malformed'],
    ['sha1 prefix', { 'x-hub-signature-256': `sha1=${hmacSha256Hex('s3cret', body)}` }, 'malformed'],
    ['wrong secret', { 'x-hub-signature-256': `sha256=${hmacSha256Hex('nope', body)}` }, 'mismatch'],
  ] as const)('requireHmacSignature: %s -> 401 %s, never echoing the value', (_name, headers, problem) => {
    let error: unknown;
    try {
      requireHmacSignature({ headers, body, header: 'X-Hub-Signature-256', prefix: 'sha256=', secrets: ['s3cret'], input: 'test' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UnauthorizedRequestError);
    const e = error as UnauthorizedRequestError;
    expect(e).toMatchObject({ status: 401, code: 'request-unauthorized', field: 'X-Hub-Signature-256', problem, input: 'test' });
    expect(JSON.stringify(e.toJSON())).not.toContain('s3cret');
    for (const v of Object.values(headers)) expect(JSON.stringify(e.toJSON())).not.toContain(v.slice(7, 40));
  });

  it('requireHmacSignature passes a good signature with any header case', () => {
    expect(() =>
      requireHmacSignature({ headers: { 'X-HUB-SIGNATURE-256': `sha256=${hmacSha256Hex('s3cret', body)}` }, body, header: 'X-Hub-Signature-256', prefix: 'sha256=', secrets: ['s3cret'], input: 't' }),
    ).not.toThrow();
  });
});

describe('tokens', () => {
  it('compares by hash, any length', () => {
    expect(tokenMatches('s3cret', ['s3cret'])).toBe(true);
    expect(tokenMatches('s3cre', ['s3cret'])).toBe(false);
    expect(tokenMatches('s3cret-and-more', ['s3cret'])).toBe(false);
    expect(tokenMatches('', ['s3cret'])).toBe(false);
    expect(tokenMatches('b', ['a', 'b'])).toBe(true);
  });

  it('requireToken: header with scheme, query parameter, missing, wrong scheme', () => {
    const locations = [
      { kind: 'query', name: 'token' },
      { kind: 'header', name: 'Authorization', scheme: 'Bearer' },
    ] as const;
    expect(() => requireToken({ headers: {}, query: new URLSearchParams('token=s3cret'), locations, secrets: ['s3cret'], input: 't' })).not.toThrow();
    expect(() => requireToken({ headers: { authorization: 'Bearer s3cret' }, locations, secrets: ['s3cret'], input: 't' })).not.toThrow();
    expect(() => requireToken({ headers: { authorization: 'bearer s3cret' }, locations, secrets: ['s3cret'], input: 't' })).not.toThrow();
    expect(() => requireToken({ headers: { authorization: 'Basic s3cret' }, locations, secrets: ['s3cret'], input: 't' })).toThrow(
      expect.objectContaining({ problem: 'malformed', field: 'Authorization' }),
    );
    expect(() => requireToken({ headers: { authorization: 'Bearer nope' }, locations, secrets: ['s3cret'], input: 't' })).toThrow(
      expect.objectContaining({ problem: 'mismatch', field: 'Authorization' }),
    );
    expect(() => requireToken({ headers: {}, query: new URLSearchParams('token=nope'), locations, secrets: ['s3cret'], input: 't' })).toThrow(
      expect.objectContaining({ problem: 'mismatch', field: 'query parameter token' }),
    );
    expect(() => requireToken({ headers: {}, locations, secrets: ['s3cret'], input: 't' })).toThrow(expect.objectContaining({ problem: 'missing', status: 401 }));
  });
});

describe('normalizeSecrets', () => {
  it('refuses no secret, an empty or blank one, without echoing values', () => {
    expect(() => normalizeSecrets('', 'github receiver')).toThrow(WebhookConfigError);
    expect(() => normalizeSecrets('   ', 'github receiver')).toThrow(expect.objectContaining({ field: 'secret' }));
    expect(() => normalizeSecrets([], 'github receiver')).toThrow(WebhookConfigError);
    expect(() => normalizeSecrets(['good', ''], 'github receiver')).toThrow(expect.objectContaining({ field: 'secret[1]' }));
    try {
      normalizeSecrets(['visible-secret', ' '], 'x');
    } catch (err) {
      expect((err as Error).message).not.toContain('visible-secret');
    }
    expect(normalizeSecrets(['a', 'b'], 'x')).toEqual(['a', 'b']);
  });
});
