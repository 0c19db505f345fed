import { DIRECTORY_EVENT_TYPES } from '@kb4/contracts';
import { diffRecords } from '@kb4/mapping';
import type { SnapshotEnrollment, SyncedEnrollmentWrite } from '@kb4/persistence';
import { changesJson, directoryEvent } from '../events/directory-events';
import { DiffContext, FetchedEnrollment, RecordWrite, SkippedRecord } from './record-write';
import { unstorableReason } from './storable';

export interface EnrollmentPageDiff {
  /** Ids recorded as seen: unchanged ones, and changed ones whose user exists. */
  seen: string[];
  entries: RecordWrite<SyncedEnrollmentWrite>[];
  skipped: SkippedRecord[];
  /** Enrollments of users the mirror does not hold: dirty data, counted and never stored. */
  unknownUser: number;
}

/** The writes and events of a page's changed enrollments against their mirror rows. */
export function diffEnrollments(
  fetched: ReadonlyMap<string, FetchedEnrollment>,
  changedIds: readonly string[],
  mirror: { knownUsers: ReadonlySet<string>; before: ReadonlyMap<string, SnapshotEnrollment> },
  diff: DiffContext,
): EnrollmentPageDiff {
  const { knownUsers, before } = mirror;
  const changed = new Set(changedIds);
  const result: EnrollmentPageDiff = { seen: [], entries: [], skipped: [], unknownUser: 0 };
  for (const [id, entry] of fetched) {
    // enrollments of users that no longer exist are dirty data: skipped and counted, never stored
    if (!changed.has(id) || (entry.userId !== null && knownUsers.has(entry.userId))) result.seen.push(id);
  }
  for (const id of changedIds) {
    const { raw, userId, hash } = fetched.get(id)!;
    if (userId === null || !knownUsers.has(userId)) {
      result.unknownUser += 1;
      continue;
    }
    const unstorable = unstorableReason(raw, diff.maxRecordChars);
    if (unstorable) {
      result.skipped.push({ remoteId: id, reason: unstorable });
      continue;
    }
    const entry = diffEnrollment(id, userId, raw, hash, before.get(id), diff);
    if (entry) result.entries.push(entry);
  }
  return result;
}

function diffEnrollment(
  id: string,
  userId: string,
  raw: Record<string, unknown>,
  hash: string,
  previous: SnapshotEnrollment | undefined,
  diff: DiffContext,
): RecordWrite<SyncedEnrollmentWrite> | undefined {
  const changes = previous ? diffRecords(previous.record, raw) : [];
  if (previous && changes.length === 0) return undefined;
  const events = [];
  if (diff.emit) {
    events.push(
      directoryEvent(diff.ctx, 'enrollment', id, DIRECTORY_EVENT_TYPES.trainingEnrollmentChanged, [previous?.contentHash ?? '', hash], {
        user_id: userId,
        enrollment: raw,
        change: previous ? 'updated' : 'created',
        ...(previous ? { changes: changesJson(changes) } : {}),
      }),
    );
  }
  return {
    write: { remoteId: id, userRemoteId: userId, record: raw, contentHash: hash, updatedAt: diff.now },
    events,
    counts: ['enrollments_changed'],
    added: [],
    removed: [],
  };
}
