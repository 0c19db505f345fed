import { PeriodicPass } from './periodic-pass';

describe('PeriodicPass', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs at start, then again the interval after each pass ends, and reports a failed pass without stopping', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const passes = new PeriodicPass(async () => {
      calls++;
      if (calls === 1) throw new Error('boom');
    }, 1000, (error) => errors.push(error));
    passes.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    expect(errors).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(999);
    expect(calls).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    await passes.stop();
  });

  it('wakes early on nudge, but never starts a second pass beside a running one', async () => {
    let calls = 0;
    let release: () => void = () => undefined;
    const passes = new PeriodicPass(() => { calls++; return new Promise<void>((resolve) => (release = resolve)); }, 60_000, () => undefined);
    passes.start();
    await jest.advanceTimersByTimeAsync(0);
    passes.nudge();
    await jest.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    release();
    await jest.advanceTimersByTimeAsync(0);
    passes.nudge();
    await jest.advanceTimersByTimeAsync(0);
    expect(calls).toBe(2);
    release();
    await passes.stop();
  });

  it('waits for the running pass on stop and starts none after', async () => {
    let calls = 0;
    let release: () => void = () => undefined;
    const passes = new PeriodicPass(() => { calls++; return new Promise<void>((resolve) => (release = resolve)); }, 10, () => undefined);
    passes.start();
    await jest.advanceTimersByTimeAsync(0);
    let stopped = false;
    const stopping = passes.stop().then(() => (stopped = true));
    await jest.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    expect(passes.isStopped).toBe(true);
    release();
    await stopping;
    await jest.advanceTimersByTimeAsync(1000);
    expect(calls).toBe(1);
  });
});
