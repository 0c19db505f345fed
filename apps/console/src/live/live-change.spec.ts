import { parseLiveChange, staleKeysOf } from './live-change';

const base = { id: 'e-1', time: '2026-11-28T08:00:00Z', integrated_account_id: 'acc-1' };

describe('live changes', () => {
  it('refuses what is not a change of the stream', () => {
    expect(parseLiveChange('not json')).toBeNull();
    expect(parseLiveChange(JSON.stringify({ type: 'x' }))).toBeNull();
  });

  it('makes a finished operation stale, with the users of its tenant', () => {
    const change = parseLiveChange(JSON.stringify({ ...base, type: 'knowbe4.operation.succeeded', operation_id: 'op-1' }))!;
    expect(staleKeysOf(change)).toEqual(expect.arrayContaining([['operation', 'op-1'], ['accounts', 'acc-1', 'users']]));
  });

  it('re-reads users only once a sync run has finished', () => {
    const started = staleKeysOf({ ...base, type: 'knowbe4.sync_run.started' });
    const completed = staleKeysOf({ ...base, type: 'knowbe4.sync_run.completed' });
    expect(started).not.toContainEqual(['accounts', 'acc-1', 'users']);
    expect(completed).toContainEqual(['accounts', 'acc-1', 'users']);
  });

  it('refreshes the roster run a roster event names', () => {
    expect(staleKeysOf({ ...base, type: 'knowbe4.roster_run.completed', roster_run_id: 'r-1' })).toContainEqual(['roster-run', 'r-1']);
  });
});
