import { ROSTER_RUN_EVENT_TYPES, TOPICS, validateEventData } from '@kb4/contracts';
import { finishedKind, rosterRunEvent, type RosterRunEventSource } from './roster-run-events';

const run = (progress: Record<string, number>): RosterRunEventSource => ({
  id: '5d1f0c2e-0000-4000-8000-000000000001',
  account_id: 'acc-1',
  forced: false,
  created_at: new Date('2026-01-02T03:00:00Z'),
  updated_at: new Date('2026-01-02T03:00:05Z'),
  finished_at: new Date('2026-01-02T03:04:00Z'),
  progress,
});

describe('roster-run events', () => {
  it('started carries the plan size, keyed by account, valid for its DTO', () => {
    const message = rosterRunEvent(run({ pending: 5 }), 'started');
    expect(message).toMatchObject({ topic: TOPICS.rosterRuns, key: 'acc-1', event: { type: ROSTER_RUN_EVENT_TYPES.started, time: '2026-01-02T03:00:05.000Z' } });
    expect(message.event.data).toMatchObject({ counts: { planned: 5, done: 0, failed: 0 } });
    expect(validateEventData(message.event)).toMatchObject({ ok: true });
  });

  it('a finished run is completed when every item succeeded, failed (with the count and an error) when any failed', () => {
    expect(finishedKind(run({ succeeded: 5 }))).toBe('completed');
    const failed = run({ succeeded: 4, failed: 1 });
    expect(finishedKind(failed)).toBe('failed');
    const message = rosterRunEvent(failed, 'failed');
    expect(message.event.data).toMatchObject({ failed_at: '2026-01-02T03:04:00.000Z', counts: { planned: 5, done: 4, failed: 1 }, error: { code: 'roster_items_failed', retryable: false } });
    expect(validateEventData(message.event)).toMatchObject({ ok: true });
    expect(validateEventData(rosterRunEvent(run({ succeeded: 5 }), 'completed').event)).toMatchObject({ ok: true });
  });

  it('ids are stable per run and kind (a redone status change or a re-relay is recognisable), distinct across kinds', () => {
    const a = rosterRunEvent(run({ succeeded: 5 }), 'completed').event.id;
    expect(rosterRunEvent(run({ succeeded: 5 }), 'completed').event.id).toBe(a);
    expect(rosterRunEvent(run({ pending: 5 }), 'started').event.id).not.toBe(a);
  });
});
