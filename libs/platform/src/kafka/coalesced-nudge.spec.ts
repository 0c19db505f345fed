import { coalescedNudge } from './coalesced-nudge';

describe('coalescedNudge', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('wakes at once when idle, folds a burst into one trailing wake, then goes quiet', () => {
    let wakes = 0;
    const { nudge } = coalescedNudge(() => (wakes += 1), 5);
    nudge();
    expect(wakes).toBe(1);
    for (let i = 0; i < 50; i++) nudge();
    expect(wakes).toBe(1);
    jest.advanceTimersByTime(5);
    expect(wakes).toBe(2);
    jest.advanceTimersByTime(50);
    expect(wakes).toBe(2);
    nudge();
    expect(wakes).toBe(3);
  });

  it('wakes no more once cancelled', () => {
    let wakes = 0;
    const { nudge, cancel } = coalescedNudge(() => (wakes += 1), 5);
    nudge();
    nudge();
    cancel();
    jest.advanceTimersByTime(20);
    expect(wakes).toBe(1);
  });
});
