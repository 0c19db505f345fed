import { DIRECTORY_EVENT_TYPES } from '@kb4/contracts';
import { DEFAULT_GROUP_DIFF_IGNORE, diffRecords, toUnifiedGroup, tryNormalizeKnowBe4Group } from '@kb4/mapping';
import type { SnapshotGroup, SyncedGroupWrite } from '@kb4/persistence';
import type { DirectoryMessage } from '../events/audit-drafts';
import { changesJson, directoryEvent } from '../events/directory-events';
import { DiffContext, emptyWrite, FetchedRecord, RecordWrite, SkippedRecord } from './record-write';
import { fetchedRecordHash, remoteIdOf } from './record-hash';
import { unstorableReason } from './storable';

export interface GroupScreening {
  /** Valid groups by id, with their fingerprints. */
  fetched: Map<string, FetchedRecord>;
  /** Ids seen but not stored (their mirror rows stay as they were). */
  unstorable: Set<string>;
  /** Records reported as skipped, in page order. */
  skipped: SkippedRecord[];
  /** Entries without an id: counted, not reported. */
  noId: number;
}

/** Sorts a page of groups into valid ones, records that cannot be stored, and entries without an id. */
export function screenGroups(records: readonly unknown[], maxRecordChars: number): GroupScreening {
  const screening: GroupScreening = { fetched: new Map(), unstorable: new Set(), skipped: [], noId: 0 };
  for (const raw of records) {
    const result = tryNormalizeKnowBe4Group(raw);
    if (!result.ok) {
      const id = remoteIdOf(raw);
      if (id === null) screening.noId += 1;
      else screening.skipped.push({ remoteId: id, reason: 'invalid' });
      continue;
    }
    const id = String(result.record.id);
    screening.fetched.set(id, { raw: raw as Record<string, unknown>, hash: fetchedRecordHash(raw) });
    const reason = unstorableReason(raw, maxRecordChars);
    if (reason) {
      screening.unstorable.add(id);
      screening.skipped.push({ remoteId: id, reason });
    }
  }
  return screening;
}

/** The writes and events of a page of groups against their mirror rows; a group whose fingerprint is unchanged has none. */
/** `provisioned`: records of groups our SCIM creates made that no sync has listed yet, by name (see identity/). */
export function diffGroups(
  screening: GroupScreening,
  existing: ReadonlyMap<string, SnapshotGroup>,
  diff: DiffContext,
  provisioned: ReadonlyMap<string, Record<string, unknown>> = new Map(),
): RecordWrite<SyncedGroupWrite>[] {
  const entries: RecordWrite<SyncedGroupWrite>[] = [];
  for (const [id, { raw, hash }] of screening.fetched) {
    const before = existing.get(id);
    if (before?.contentHash === hash || screening.unstorable.has(id)) continue;
    entries.push(diffGroup(id, raw, hash, before, diff, typeof raw.name === 'string' ? provisioned.get(raw.name) : undefined));
  }
  return entries;
}

function diffGroup(
  id: string,
  raw: Record<string, unknown>,
  hash: string,
  before: SnapshotGroup | undefined,
  diff: DiffContext,
  provisioned: Record<string, unknown> | undefined,
): RecordWrite<SyncedGroupWrite> {
  const { ctx, now } = diff;
  const entry = emptyWrite<SyncedGroupWrite>();
  const { remote_data: remoteData, ...record } = toUnifiedGroup(raw) as unknown as Record<string, unknown>;
  if (!before) {
    record.created_at = now;
    record.updated_at = now;
    entry.counts.push('groups_created');
    if (diff.emit) {
      const created: DirectoryMessage = directoryEvent(ctx, 'group', id, DIRECTORY_EVENT_TYPES.groupCreated, [hash], { group: record });
      // our SCIM create made this group and was audited: only what differs from it is
      if (provisioned) created.auditBefore = provisioned;
      entry.events.push(created);
    }
  } else {
    record.created_at = before.record.created_at ?? before.createdAt.toISOString();
    const changes = diffRecords(before.record, record, { ignore: [...DEFAULT_GROUP_DIFF_IGNORE, 'created_at'] });
    record.updated_at = changes.length > 0 ? now : (before.record.updated_at ?? now);
    if (changes.length > 0) {
      entry.counts.push('groups_updated');
      entry.events.push(
        directoryEvent(ctx, 'group', id, DIRECTORY_EVENT_TYPES.groupUpdated, [before.contentHash, hash], { group: record, changes: changesJson(changes) }),
      );
    }
  }
  entry.write = {
    seq: before?.seq ?? null,
    remoteId: id,
    name: typeof record.name === 'string' ? record.name : '',
    record,
    remoteData: remoteData as Record<string, unknown>,
    contentHash: hash,
    createdAt: String(record.created_at),
    updatedAt: String(record.updated_at),
  };
  return entry;
}
