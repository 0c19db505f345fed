import { liveChangeOf, sseFrame } from './live-change';

const envelope = (type: string, data: Record<string, unknown>, source = '/integrated-accounts/acc-1') => ({
  specversion: '1.0' as const,
  id: 'ev-1',
  source,
  type,
  time: '2026-11-28T08:00:00.000Z',
  datacontenttype: 'application/json' as const,
  data,
});

describe('liveChangeOf', () => {
  it('summarises an operation result without the record it wrote', () => {
    const change = liveChangeOf(envelope('knowbe4.operation.succeeded', { operation_id: 'op-1', integrated_account_id: 'acc-1', resource: { username: 'ada@example.com' } }));
    expect(change).toEqual({ id: 'ev-1', type: 'knowbe4.operation.succeeded', time: '2026-11-28T08:00:00.000Z', integrated_account_id: 'acc-1', operation_id: 'op-1' });
  });

  it.each([
    ['knowbe4.sync_run.completed', { sync_run_id: 'run-1' }, { sync_run_id: 'run-1' }],
    ['knowbe4.roster_run.started', { roster_run_id: 'rr-1' }, { roster_run_id: 'rr-1' }],
  ])('keeps the run id of %s', (type, data, expected) => {
    expect(liveChangeOf(envelope(type, data))).toMatchObject({ integrated_account_id: 'acc-1', ...expected });
  });

  it('leaves directory events and events without an account out', () => {
    expect(liveChangeOf(envelope('knowbe4.user.updated', { remote_id: '1' }))).toBeNull();
    expect(liveChangeOf(envelope('knowbe4.operation.failed', {}, 'elsewhere'))).toBeNull();
  });
});

describe('sseFrame', () => {
  it('writes one event with its JSON on a single data line', () => {
    expect(sseFrame('change', { a: 'line\nbreak' })).toBe('event: change\ndata: {"a":"line\\nbreak"}\n\n');
  });
});
