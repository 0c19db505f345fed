import { ApiKeyCache } from './api-key-cache';

const key = { keyId: 'k1', workspaceId: 'w1', scopes: ['directory:read'] as const };

describe('ApiKeyCache', () => {
  it('caches nothing until the revocation listener is up, and forgets everything when it goes down', () => {
    const cache = new ApiKeyCache(60_000);
    cache.set('f', key, cache.epoch());
    expect(cache.get('f')).toBeUndefined();
    cache.setEnabled(true);
    cache.set('f', key, cache.epoch());
    expect(cache.get('f')).toEqual(key);
    cache.setEnabled(false);
    expect(cache.get('f')).toBeUndefined();
    cache.setEnabled(true);
    expect(cache.get('f')).toBeUndefined();
  });

  it('drops a changed key, and does not store a lookup that raced with a change', () => {
    const cache = new ApiKeyCache(60_000);
    cache.setEnabled(true);
    cache.set('f', key, cache.epoch());
    cache.drop('f');
    expect(cache.get('f')).toBeUndefined();
    const before = cache.epoch();
    cache.drop('other'); // a revoke notified while the lookup was in flight
    cache.set('f', key, before);
    expect(cache.get('f')).toBeUndefined();
  });

  it('keeps answers only for its TTL, and none with a TTL of 0', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const cache = new ApiKeyCache(1_000);
      cache.setEnabled(true);
      cache.set('f', null, cache.epoch());
      expect(cache.get('f')).toBeNull();
      jest.advanceTimersByTime(1_001);
      expect(cache.get('f')).toBeUndefined();
      const uncached = new ApiKeyCache(0);
      uncached.setEnabled(true);
      uncached.set('f', key, uncached.epoch());
      expect(uncached.get('f')).toBeUndefined();
      expect(uncached.listening).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });
});
