import { DIRECTORY_EVENT_TYPES } from '@kb4/contracts';
import type { SnapshotGroup } from '@kb4/persistence';
import { diffContext, NOW, recorded, RECORDED_GROUPS } from './__fixtures__/recorded';
import { diffGroups, screenGroups } from './group-page-diff';
import { fetchedRecordHash } from './record-hash';

/** The mirror row a previous run stored for a recorded group. */
function storedRow(raw: Record<string, unknown>, record: Record<string, unknown>, hash = 'old-hash'): SnapshotGroup {
  return { seq: '7', remoteId: String(raw.id), contentHash: hash, record, createdAt: new Date('2024-01-01T00:00:00Z') };
}

describe('screenGroups on a recorded page', () => {
  it('keeps every group with an id (numeric or string) and counts the null entry as having none', () => {
    const screening = screenGroups(RECORDED_GROUPS, 65_536);
    expect([...screening.fetched.keys()]).toEqual(['3264', '3911', '4100']);
    expect(screening.noId).toBe(1);
    expect(screening.skipped).toEqual([]);
  });

  it.each([
    ['a non-integer id', { id: 1.5, name: 'x' }],
    ['a text id', { id: 'abc', name: 'x' }],
    ['a primitive', 42],
  ])('counts %s as an entry without an id', (_label, raw) => {
    const screening = screenGroups([raw], 65_536);
    expect(screening.fetched.size).toBe(0);
    expect(screening.noId).toBe(1);
  });

  it('reports a group too large to store as skipped, seen but not stored', () => {
    const raw = { ...recorded(RECORDED_GROUPS, 3264), description: 'x'.repeat(500) };
    const screening = screenGroups([raw], 200);
    expect(screening.skipped).toEqual([{ remoteId: '3264', reason: 'too_large' }]);
    expect(screening.unstorable.has('3264')).toBe(true);
    expect(diffGroups(screening, new Map(), diffContext())).toEqual([]);
  });
});

describe('diffGroups', () => {
  it('creates a group the mirror does not hold: one group.created event, groups_created counted, stamped now', () => {
    const [entry] = diffGroups(screenGroups([recorded(RECORDED_GROUPS, 3264)], 65_536), new Map(), diffContext());
    expect(entry.counts).toEqual(['groups_created']);
    expect(entry.events.map((e) => e.event.type)).toEqual([DIRECTORY_EVENT_TYPES.groupCreated]);
    expect(entry.write).toMatchObject({ seq: null, remoteId: '3264', name: 'Engineering', createdAt: NOW, updatedAt: NOW });
    expect(entry.write.remoteData).toMatchObject({ id: 3264 });
  });

  it('writes no event during a summary baseline, but still the row and its count', () => {
    const [entry] = diffGroups(screenGroups([recorded(RECORDED_GROUPS, 3264)], 65_536), new Map(), diffContext({ emit: false }));
    expect(entry.events).toEqual([]);
    expect(entry.counts).toEqual(['groups_created']);
  });

  it('skips a group whose fingerprint equals the mirror row', () => {
    const raw = recorded(RECORDED_GROUPS, 3911);
    const existing = new Map([['3911', storedRow(raw, {}, fetchedRecordHash(raw))]]);
    expect(diffGroups(screenGroups([raw], 65_536), existing, diffContext())).toEqual([]);
  });

  it('reports a rename as group.updated with the field change, keeping created_at and the row seq', () => {
    const raw = recorded(RECORDED_GROUPS, 3264);
    const [created] = diffGroups(screenGroups([raw], 65_536), new Map(), diffContext({ now: '2024-01-01T00:00:00.000Z' }));
    const renamed = { ...raw, name: 'Platform Engineering' };
    const existing = new Map([['3264', storedRow(raw, created.write.record)]]);
    const [entry] = diffGroups(screenGroups([renamed], 65_536), existing, diffContext());
    expect(entry.counts).toEqual(['groups_updated']);
    expect(entry.events.map((e) => e.event.type)).toEqual([DIRECTORY_EVENT_TYPES.groupUpdated]);
    expect((entry.events[0].event.data as { changes: unknown }).changes).toEqual([{ field: 'name', from: 'Engineering', to: 'Platform Engineering' }]);
    expect(entry.write).toMatchObject({ seq: '7', createdAt: '2024-01-01T00:00:00.000Z', updatedAt: NOW });
  });

  it('rewrites a row whose bytes changed in a field the unified group ignores, without an event or a new updated_at', () => {
    const raw = recorded(RECORDED_GROUPS, 3264);
    const [created] = diffGroups(screenGroups([raw], 65_536), new Map(), diffContext({ now: '2024-01-01T00:00:00.000Z' }));
    const existing = new Map([['3264', storedRow(raw, created.write.record)]]);
    const [entry] = diffGroups(screenGroups([{ ...raw, undocumented_field: 'x' }], 65_536), existing, diffContext());
    expect(entry.events).toEqual([]);
    expect(entry.counts).toEqual([]);
    expect(entry.write.updatedAt).toBe('2024-01-01T00:00:00.000Z');
  });

  it('derives the same event id for the same change in the same run, and another in a later run', () => {
    const raw = recorded(RECORDED_GROUPS, 4100);
    const id = (runId: string): string => diffGroups(screenGroups([raw], 65_536), new Map(), diffContext({ ctx: { accountId: 'acc-1', runId } }))[0].events[0].event.id;
    expect(id('run-1')).toBe(id('run-1'));
    expect(id('run-1')).not.toBe(id('run-2'));
  });
});
