import type { SeenPhase } from '@kb4/persistence';
import type { FetchedEnrollment, FetchedRecord } from './record-write';
import { remoteIdOf } from './record-hash';

/** Cheap pass: the id of each record as fetched; `noId` entries without one (skipped and counted by the caller). */
export function collectUsers(records: readonly unknown[]): { fetched: Map<string, FetchedRecord>; noId: number } {
  const fetched = new Map<string, FetchedRecord>();
  let noId = 0;
  for (const raw of records) {
    const id = remoteIdOf(raw);
    if (id === null) noId += 1;
    else fetched.set(id, { raw: raw as Record<string, unknown>, hash: '' });
  }
  return { fetched, noId };
}

/** Cheap pass over enrollments: each one's id and its user's id (`noId` entries without an id). */
export function collectEnrollments(records: readonly unknown[]): { fetched: Map<string, FetchedEnrollment>; noId: number } {
  const fetched = new Map<string, FetchedEnrollment>();
  let noId = 0;
  for (const raw of records) {
    const id = enrollmentIdOf(raw);
    if (id === null) {
      noId += 1;
      continue;
    }
    const record = raw as Record<string, unknown>;
    const user = record.user as { id?: unknown } | null | undefined;
    const userId = user && (typeof user.id === 'number' || typeof user.id === 'string') ? String(user.id) : null;
    fetched.set(id, { raw: record, userId, hash: '' });
  }
  return { fetched, noId };
}

export function enrollmentIdOf(raw: unknown): string | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const id = (raw as { enrollment_id?: unknown }).enrollment_id;
  if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
  if (typeof id === 'string' && /^\d+$/.test(id)) return id;
  return null;
}

/** The id of the first entry of a page that has one (a resumed walk compares it with its checkpoint). */
export function firstId(records: readonly unknown[], phase: SeenPhase): string | null {
  for (const raw of records) {
    if (typeof raw !== 'object' || raw === null) continue;
    const id = phase === 'enrollments' ? (raw as { enrollment_id?: unknown }).enrollment_id : (raw as { id?: unknown }).id;
    if (typeof id === 'number' || (typeof id === 'string' && /^\d+$/.test(id))) return String(id);
  }
  return null;
}
