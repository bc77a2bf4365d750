import { backoffDelay, DEFAULT_RETRY, isRetryableStatus, RegistryClient, RegistryUnavailableError, type RegistryClock } from '../../../../reconciler/images/registry';

/** Pure retry logic with a scripted fetch; the real registry and proxy are in registry-client.int.test.ts. */
function scripted(responses: Array<number | 'network' | 'hang'>): { fetch: typeof fetch; urls: string[] } {
  const urls: string[] = [];
  let i = 0;
  const fetchImpl = (async (url: string | URL | Request, init?: RequestInit) => {
    urls.push(String(url));
    const next = responses[Math.min(i++, responses.length - 1)];
    if (next === 'network') throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
    if (next === 'hang') {
      return new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    }
    return new Response(next === 200 ? JSON.stringify({ name: 'a/b', tags: ['1'] }) : 'x', { status: next, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { fetch: fetchImpl, urls };
}

const clock = (sleeps: number[]): RegistryClock => ({ now: () => 0, sleep: async (ms) => void sleeps.push(ms), random: () => 0 });

describe('retries', () => {
  test('backoff doubles up to the cap, with equal jitter', () => {
    const opts = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, opts, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
    expect([1, 2, 3].map((n) => backoffDelay(n, opts, () => 0.999999))).toEqual([100, 200, 400]);
  });

  test.each([
    [500, true],
    [502, true],
    [503, true],
    [429, true],
    [408, true],
    [501, false],
    [404, false],
    [401, false],
  ])('status %d retryable: %s', (status, expected) => {
    expect(isRetryableStatus(status)).toBe(expected);
  });

  test('network errors and timeouts are retried; success ends the loop', async () => {
    const sleeps: number[] = [];
    const s = scripted(['network', 'hang', 200]);
    const repo = new RegistryClient({ fetch: s.fetch, clock: clock(sleeps), timeoutMs: 50 }).repository('ghcr.io/org/app');
    expect(await repo.listTags()).toEqual(['1']);
    expect(s.urls).toEqual(Array(3).fill('https://ghcr.io/v2/org/app/tags/list?n=1000'));
    expect(sleeps).toEqual([125, 250]);
  });

  test('gives up after the configured attempts with the last cause', async () => {
    const s = scripted(['hang']);
    const err = await new RegistryClient({ fetch: s.fetch, clock: clock([]), timeoutMs: 20, retry: { attempts: 2 } })
      .repository('ghcr.io/org/app')
      .listTags()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryUnavailableError);
    expect((err as Error).message).toBe('registry ghcr.io, repository org/app: GET https://ghcr.io/v2/org/app/tags/list failed: timed out (after 2 attempts)');
  });

  test('Docker Hub names go to registry-1.docker.io over HTTPS', async () => {
    const s = scripted([200]);
    await new RegistryClient({ fetch: s.fetch }).repository('nginx').listTags();
    expect(s.urls).toEqual(['https://registry-1.docker.io/v2/library/nginx/tags/list?n=1000']);
  });
});
