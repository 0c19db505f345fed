import { DIRECTORY_EVENT_TYPES } from '@kb4/contracts';
import type { SnapshotEnrollment } from '@kb4/persistence';
import { diffContext, NOW } from './__fixtures__/recorded';
import { collectEnrollments } from './collect';
import { diffEnrollments } from './enrollment-page-diff';
import { fetchedRecordHash } from './record-hash';

/** Enrollments as GET /v1/training/enrollments answers them. */
const PAGE: unknown[] = [
  { enrollment_id: 1001, content_type: 'Training Module', module_name: 'Phishing 101', user: { id: 667542, first_name: 'Jane' }, status: 'Passed' },
  { enrollment_id: '1002', module_name: 'Passwords', user: { id: '654321' }, status: 'In Progress' },
  { enrollment_id: 1003, module_name: 'Orphan', user: { id: 111 }, status: 'Not Started' },
  { enrollment_id: 1004, module_name: 'No user', user: null, status: 'Not Started' },
  { module_name: 'no id' },
  null,
];

function fetchedPage(records: unknown[] = PAGE): ReturnType<typeof collectEnrollments> {
  const collected = collectEnrollments(records);
  for (const entry of collected.fetched.values()) entry.hash = fetchedRecordHash(entry.raw);
  return collected;
}

const KNOWN_USERS = new Set(['667542', '654321']);

describe('collectEnrollments', () => {
  it('reads each enrollment id and its user id; entries without an id are counted', () => {
    const { fetched, noId } = collectEnrollments(PAGE);
    expect([...fetched].map(([id, e]) => [id, e.userId])).toEqual([
      ['1001', '667542'],
      ['1002', '654321'],
      ['1003', '111'],
      ['1004', null],
    ]);
    expect(noId).toBe(2);
  });
});

describe('diffEnrollments', () => {
  it('creates enrollments of known users; those of unknown users are counted, never stored or seen', () => {
    const { fetched } = fetchedPage();
    const diff = diffEnrollments(fetched, [...fetched.keys()], { knownUsers: KNOWN_USERS, before: new Map() }, diffContext());
    expect(diff.seen).toEqual(['1001', '1002']);
    expect(diff.unknownUser).toBe(2);
    expect(diff.entries.map((e) => e.write.remoteId)).toEqual(['1001', '1002']);
    expect(diff.entries[0].write).toMatchObject({ userRemoteId: '667542', updatedAt: NOW });
    expect(diff.entries[0].events.map((e) => (e.event.data as { change: string }).change)).toEqual(['created']);
    expect(diff.entries[0].counts).toEqual(['enrollments_changed']);
  });

  it('counts an unchanged enrollment as seen without a write, and reports a changed one as updated with its changes', () => {
    const { fetched } = fetchedPage();
    const stored = (id: string, record: Record<string, unknown>): SnapshotEnrollment => ({ remoteId: id, contentHash: 'h', record, userRemoteId: '667542' });
    const before = new Map([
      ['1001', stored('1001', fetched.get('1001')!.raw)],
      ['1002', stored('1002', { ...fetched.get('1002')!.raw, status: 'Not Started' })],
    ]);
    const diff = diffEnrollments(fetched, ['1001', '1002'], { knownUsers: KNOWN_USERS, before }, diffContext());
    expect(diff.seen).toEqual(['1001', '1002', '1003', '1004']);
    expect(diff.entries.map((e) => e.write.remoteId)).toEqual(['1002']);
    const [event] = diff.entries[0].events;
    expect(event.event.type).toBe(DIRECTORY_EVENT_TYPES.trainingEnrollmentChanged);
    expect(event.event.data).toMatchObject({ change: 'updated', changes: [{ field: 'status', from: 'Not Started', to: 'In Progress' }] });
  });

  it('skips an enrollment too large to store, and emits nothing during a summary baseline', () => {
    const { fetched } = fetchedPage([{ enrollment_id: 1, user: { id: 667542 }, notes: 'x'.repeat(300) }, { enrollment_id: 2, user: { id: 667542 } }]);
    const diff = diffEnrollments(fetched, ['1', '2'], { knownUsers: KNOWN_USERS, before: new Map() }, diffContext({ maxRecordChars: 200, emit: false }));
    expect(diff.skipped).toEqual([{ remoteId: '1', reason: 'too_large' }]);
    expect(diff.entries.map((e) => [e.write.remoteId, e.events.length])).toEqual([['2', 0]]);
  });
});
