import { syncLag } from './sync-lag';

describe('sync lag of an account', () => {
  it.each([
    ['synced 412 s ago on a 900 s cadence', { lagSeconds: 412, cadenceSeconds: 900 }, 1, { cadence_seconds: 900, lag_seconds: 412, lag_ratio: 0.46, overdue: false }],
    ['overdue', { lagSeconds: 1900, cadenceSeconds: 900 }, 1, { cadence_seconds: 900, lag_seconds: 1900, lag_ratio: 2.11, overdue: true }],
    ['never synced', { lagSeconds: null, cadenceSeconds: 900 }, 1, { cadence_seconds: 900, lag_seconds: null, lag_ratio: null, overdue: true }],
    ['at TIME_SCALE 60 (15 real s of a 900 s cadence)', { lagSeconds: 7.5, cadenceSeconds: 15 }, 60, { cadence_seconds: 900, lag_seconds: 450, lag_ratio: 0.5, overdue: false }],
  ])('%s', (_name, lag, scale, expected) => {
    expect(syncLag({ accountId: 'a', waitingForBudget: false, ...lag }, scale)).toEqual({ ...expected, waiting_for_budget: false });
  });
});
