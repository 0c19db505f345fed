import { RECORDED_KNOWBE4_RUNTIMES_S, ResponseTime } from '../src/http/response-time';
import { startHarness, type Harness } from './sandbox-client';

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

describe('response time profile', () => {
  it('off answers without delay', () => {
    const profile = new ResponseTime('off');
    expect(Array.from({ length: 100 }, () => profile.nextDelayMs()).every((ms) => ms === 0)).toBe(true);
  });

  it('recorded draws server times around the x-runtime KnowBe4 reported in recorded traffic', () => {
    const delays = Array.from({ length: 5_000 }, ((profile) => () => profile.nextDelayMs())(new ResponseTime('recorded', 3)));
    const recordedMedianMs = median(RECORDED_KNOWBE4_RUNTIMES_S.map((s) => s * 1000));
    expect(Math.abs(median(delays) - recordedMedianMs)).toBeLessThan(25);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1_500);
    // The slowest recorded answer (0.445 s) is rare but not exceptional.
    const slower = delays.filter((ms) => ms >= 445).length / delays.length;
    expect(slower).toBeGreaterThan(0.02);
    expect(slower).toBeLessThan(0.1);
  });

  it('repeats the same sequence for the same seed after every switch', () => {
    const profile = new ResponseTime('recorded', 9);
    const first = Array.from({ length: 20 }, () => profile.nextDelayMs());
    profile.set('recorded');
    expect(Array.from({ length: 20 }, () => profile.nextDelayMs())).toEqual(first);
  });

  describe('through the admin API', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness();
    });
    afterAll(() => h.sandbox.close());

    it('switches to recorded KnowBe4 timing and back; x-runtime reports the time taken', async () => {
      const t = h.tenant();
      expect(await (await h.admin('/response-time', 'GET')).json()).toEqual({ profile: 'off' });
      expect((await h.admin('/response-time', 'PUT', { profile: 'recorded' })).status).toBe(200);
      const slow = await h.scim(t, '/Users?count=1');
      expect(slow.status).toBe(200);
      expect(Number(slow.headers.get('x-runtime'))).toBeGreaterThanOrEqual(0.1);
      expect((await h.admin('/response-time', 'PUT', { profile: 'off' })).status).toBe(200);
      const fast = await h.reporting(t, '/account');
      expect(Number(fast.headers.get('x-runtime'))).toBeLessThan(0.1);
    });

    it('refuses an unknown profile with the allowed values', async () => {
      const res = await h.admin('/response-time', 'PUT', { profile: 'slow' });
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toContain('off, recorded');
    });
  });
});
