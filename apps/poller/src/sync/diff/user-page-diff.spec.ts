import { DIRECTORY_EVENT_TYPES } from '@kb4/contracts';
import type { SnapshotUser } from '@kb4/persistence';
import { diffContext, NOW, recorded, RECORDED_USERS } from './__fixtures__/recorded';
import { collectUsers } from './collect';
import { GroupDirectory } from './group-directory';
import type { RecordWrite } from './record-write';
import { fetchedRecordHash } from './record-hash';
import { diffUsers, screenUsers, UserPageState } from './user-page-diff';

const GROUPS = new GroupDirectory(
  new Map([
    ['3264', 'Engineering'],
    ['3911', 'High-risk users'],
  ]),
  new Map([['3264', { id: '3264', name: 'Engineering', status: 'active' }]]),
);

function state(overrides: Partial<UserPageState> = {}): UserPageState {
  return { existing: new Map(), provisioned: new Map(), oldGroups: new Map(), groups: GROUPS, userEventIgnore: ['last_active_at'], ...overrides };
}

/** Screens and diffs a page of raw users the way the sync does after the fast path found them changed. */
function diffPage(records: unknown[], pageState: UserPageState = state(), context = diffContext()): { entries: RecordWrite<import('@kb4/persistence').SyncedUserWrite>[]; skipped: unknown[]; seen: string[] } {
  const { fetched } = collectUsers(records);
  for (const entry of fetched.values()) entry.hash = fetchedRecordHash(entry.raw, GROUPS.namesOf(entry.raw.groups));
  const { valid, skipped } = screenUsers([...fetched.keys()], fetched, context.maxRecordChars);
  return { entries: diffUsers(valid, fetched, pageState, context), skipped, seen: [...fetched.keys()] };
}

/** The mirror row a run stored for `raw` (via the diff itself, so the record is what the sync would have stored). */
function storedRow(raw: Record<string, unknown>, overrides: Partial<SnapshotUser> = {}): SnapshotUser {
  const [entry] = diffPage([raw], state(), diffContext({ now: '2024-01-01T00:00:00.000Z' })).entries;
  return { seq: '11', remoteId: String(raw.id), contentHash: 'old', record: entry.write.record, createdAt: new Date('2024-01-01T00:00:00Z'), provisioningGuid: null, emailLower: null, ...overrides };
}

const types = (entry: RecordWrite<unknown>): string[] => entry.events.map((e) => e.event.type);

describe('collectUsers and screenUsers on a recorded page', () => {
  it('keeps every user with an id and counts the null entry', () => {
    const { fetched, noId } = collectUsers(RECORDED_USERS);
    expect(noId).toBe(1);
    expect(fetched.size).toBe(RECORDED_USERS.length - 1);
  });

  it('reports a user too large to store as skipped but keeps it seen (never called deleted)', () => {
    const raw = { ...recorded(RECORDED_USERS, 667542), notes: 'x'.repeat(300) };
    const { entries, skipped, seen } = diffPage([raw], state(), diffContext({ maxRecordChars: 200 }));
    expect(skipped).toEqual([{ remoteId: '667542', reason: 'too_large' }]);
    expect(entries).toEqual([]);
    expect(seen).toEqual(['667542']);
  });
});

describe('diffUsers', () => {
  it('creates a new user with its memberships: user.created, then group.member_added per group', () => {
    const [entry] = diffPage([recorded(RECORDED_USERS, 667542)]).entries;
    expect(types(entry)).toEqual([DIRECTORY_EVENT_TYPES.userCreated, DIRECTORY_EVENT_TYPES.groupMemberAdded, DIRECTORY_EVENT_TYPES.groupMemberAdded]);
    expect(entry.counts).toEqual(['users_created', 'memberships_added', 'memberships_added']);
    expect(entry.added).toEqual([
      { groupRemoteId: '3264', userRemoteId: '667542' },
      { groupRemoteId: '3911', userRemoteId: '667542' },
    ]);
    expect(entry.write).toMatchObject({ seq: null, remoteId: '667542', emailLower: 'jane.doe@example.com', updatedAt: NOW, createdAt: '2019-03-05T15:12:45.000Z' });
  });

  it('writes rows and memberships but no events during a summary baseline', () => {
    const [entry] = diffPage([recorded(RECORDED_USERS, 667542)], state(), diffContext({ emit: false })).entries;
    expect(entry.events).toEqual([]);
    expect(entry.counts).toEqual(['users_created', 'memberships_added', 'memberships_added']);
    expect(entry.added).toHaveLength(2);
  });

  it.each([
    ['a changed job title', { job_title: 'Principal Engineer' }, [DIRECTORY_EVENT_TYPES.userUpdated], ['users_updated']],
    ['archiving', { status: 'archived', archived_at: '2026-11-01T00:00:00Z' }, [DIRECTORY_EVENT_TYPES.userArchived], ['users_archived']],
    ['a new phish-prone percentage', { phish_prone_percentage: 40 }, [DIRECTORY_EVENT_TYPES.userRiskChanged], ['users_risk_changed']],
  ])('classifies %s', (_label, change, expectedTypes, expectedCounts) => {
    const raw = recorded(RECORDED_USERS, 667542);
    const oldGroups = new Map([['667542', ['3264', '3911']]]);
    const [entry] = diffPage([{ ...raw, ...change }], state({ existing: new Map([['667542', storedRow(raw)]]), oldGroups })).entries;
    expect(types(entry)).toEqual(expectedTypes);
    expect(entry.counts).toEqual(expectedCounts);
    expect(entry.write).toMatchObject({ seq: '11', updatedAt: NOW, createdAt: '2024-01-01T00:00:00.000Z' });
  });

  it('emits no event and keeps updated_at when only an ignored field changed', () => {
    const raw = recorded(RECORDED_USERS, 667542);
    const oldGroups = new Map([['667542', ['3264', '3911']]]);
    const [entry] = diffPage([{ ...raw, last_active_at: '2026-11-27T10:00:00Z' }], state({ existing: new Map([['667542', storedRow(raw)]]), oldGroups })).entries;
    expect(entry.events).toEqual([]);
    expect(entry.counts).toEqual([]);
    expect(entry.write.updatedAt).toBeNull();
  });

  it('reports a group the user left as group.member_removed with the group as the mirror holds it', () => {
    const raw = recorded(RECORDED_USERS, 667542);
    const oldGroups = new Map([['667542', ['3264', '3911', '5000']]]);
    const [entry] = diffPage([raw], state({ existing: new Map([['667542', storedRow(raw)]]), oldGroups })).entries;
    expect(types(entry)).toEqual([DIRECTORY_EVENT_TYPES.groupMemberRemoved]);
    expect(entry.removed).toEqual([{ groupRemoteId: '5000', userRemoteId: '667542' }]);
    expect((entry.events[0].event.data as { group: unknown }).group).toEqual({ id: '5000', name: '', status: 'active' });
  });

  it('announces a user first seen on a row the provisioner created as created, on that row', () => {
    const raw = recorded(RECORDED_USERS, 667542);
    const provisioned = storedRow(raw, { seq: '99', remoteId: null });
    const [entry] = diffPage([raw], state({ provisioned: new Map([['667542', provisioned]]) })).entries;
    expect(types(entry)[0]).toBe(DIRECTORY_EVENT_TYPES.userCreated);
    expect(entry.write).toMatchObject({ seq: '99', createdAt: '2024-01-01T00:00:00.000Z' });
  });
});
