import {
  buildCloudEvent,
  deterministicEventId,
  DIRECTORY_EVENT_TYPES,
  directoryEventKey,
  DirectoryEntity,
  integratedAccountSource,
  SYNC_RECORD_EVENT_TYPES,
  SYNC_RUN_EVENT_TYPES,
  SyncRecordSkipReason,
  syncRunKey,
  TOPICS,
} from '@kb4/contracts';
import type { FieldChange } from '@kb4/mapping';
import type { OutboxMessage } from '@kb4/persistence';

/** Who the events of one run are about; every directory event carries it. */
export interface RunContext {
  accountId: string;
  runId: string;
}

/**
 * A directory event for the outbox. Its id is derived from the account, record, type, the sync run and the
 * content hashes before/after: a resumed run (same run id) re-creates the same ids, while the same change
 * seen again by a later run (A→B→A→B) gets a new one, so a de-duplicating consumer never drops it.
 */
export function directoryEvent(
  ctx: RunContext,
  entity: DirectoryEntity,
  remoteId: string,
  type: string,
  identity: readonly string[],
  data: Record<string, unknown>,
): OutboxMessage {
  const subjectEntity = entity === 'enrollment' ? 'training/enrollments' : `${entity}s`;
  return {
    topic: TOPICS.directoryEvents,
    key: directoryEventKey(ctx.accountId, entity, remoteId),
    event: buildCloudEvent({
      id: deterministicEventId([ctx.accountId, entity, remoteId, type, ctx.runId, ...identity]),
      type,
      source: integratedAccountSource(ctx.accountId),
      subject: `${subjectEntity}/${remoteId}`,
      data: { integrated_account_id: ctx.accountId, sync_run_id: ctx.runId, remote_id: remoteId, ...data },
    }),
  };
}

export function membershipEvent(
  ctx: RunContext,
  kind: 'added' | 'removed',
  groupId: string,
  userId: string,
  identity: string,
  group: Record<string, unknown>,
  user: Record<string, unknown> | undefined,
): OutboxMessage {
  const type = kind === 'added' ? DIRECTORY_EVENT_TYPES.groupMemberAdded : DIRECTORY_EVENT_TYPES.groupMemberRemoved;
  const data: Record<string, unknown> = { group_id: groupId, user_id: userId, group };
  if (user) data.user = user;
  return directoryEvent(ctx, 'group', groupId, type, [userId, identity], data);
}

export type SyncRunEventKind = 'started' | 'completed' | 'failed';

export function syncRunEvent(ctx: RunContext, kind: SyncRunEventKind, data: Record<string, unknown>, attempt = 0): OutboxMessage {
  return {
    topic: TOPICS.syncRuns,
    key: syncRunKey(ctx.accountId),
    event: buildCloudEvent({
      id: deterministicEventId([ctx.accountId, 'sync_run', ctx.runId, kind, String(attempt)]),
      type: SYNC_RUN_EVENT_TYPES[kind],
      source: integratedAccountSource(ctx.accountId),
      subject: `sync-runs/${ctx.runId}`,
      data: { integrated_account_id: ctx.accountId, sync_run_id: ctx.runId, ...data },
    }),
  };
}

export type SkippedEntity = 'user' | 'group' | 'enrollment';

/**
 * `knowbe4.sync.record_skipped` on the sync runs topic: which record of which page and why, never its values
 * (they are what could not be stored). One per record and run; a resumed run re-creates the same id.
 */
export function recordSkippedEvent(
  ctx: RunContext,
  skipped: { entity: SkippedEntity; remoteId: string; page: number; reason: SyncRecordSkipReason; dbCode?: string },
): OutboxMessage {
  return {
    topic: TOPICS.syncRuns,
    key: syncRunKey(ctx.accountId),
    event: buildCloudEvent({
      id: deterministicEventId([ctx.accountId, 'record_skipped', ctx.runId, skipped.entity, skipped.remoteId]),
      type: SYNC_RECORD_EVENT_TYPES.recordSkipped,
      source: integratedAccountSource(ctx.accountId),
      subject: `sync-runs/${ctx.runId}`,
      data: {
        integrated_account_id: ctx.accountId,
        sync_run_id: ctx.runId,
        entity: skipped.entity,
        remote_id: skipped.remoteId,
        page: skipped.page,
        reason: skipped.reason,
        ...(skipped.dbCode ? { db_code: skipped.dbCode } : {}),
      },
    }),
  };
}

/** Field changes are plain JSON (`from`/`to` may be objects); nothing else travels. */
export function changesJson(changes: readonly FieldChange[]): Array<{ field: string; from: unknown; to: unknown }> {
  return changes.map((change) => ({ field: change.field, from: change.from, to: change.to }));
}
