import type { OutboxMessage, SyncedUserWrite } from '@kb4/persistence';
import type { EntityManager } from 'typeorm';
import type { FetchedRecord, RecordWrite } from '../diff/record-write';
import { diffUsers, screenUsers } from '../diff/user-page-diff';
import { findProvisionedUsers } from '../identity/provisioned-users';
import type { FetchedPage } from '../walk/page-fetcher';
import { diffContext, maxRecordChars, PageScope } from './page-scope';

/**
 * The changed users of a page (`changedIds`, those the fast path could not settle): diffed against the mirror
 * (newcomers first matched to rows created through SCIM) and committed with their events, memberships and seen ids.
 */
export async function applyUsersPage(
  scope: PageScope,
  page: FetchedPage,
  fetched: Map<string, FetchedRecord>,
  fingerprint: string | undefined,
  changedIds: readonly string[],
): Promise<void> {
  const { ledger, deps } = scope;
  const accountId = ledger.account.id;
  const { valid, skipped } = screenUsers(changedIds, fetched, maxRecordChars(deps));
  const skipEvents = skipped.map((skip) => ledger.skipRecord('user', page, skip.remoteId, skip.reason));
  const ids = [...fetched.keys()];
  ledger.counts.users_seen += ids.length;
  const existing = await deps.snapshot.usersByRemoteId(accountId, [...valid.keys()]);
  const newcomers = [...valid.keys()].filter((id) => !existing.has(id));
  const provisioned = await findProvisionedUsers(deps.snapshot, accountId, newcomers.map((id) => valid.get(id)!));
  const oldGroups = await deps.snapshot.groupIdsOfUsers(accountId, [...existing.keys()]);
  const entries = diffUsers(valid, fetched, { existing, provisioned, oldGroups, groups: scope.groups(), userEventIgnore: deps.settings.userEventIgnore }, diffContext(scope));
  // a page with records that could not be stored never matches; it is diffed record by record every run
  const whole = fingerprint !== undefined && ids.length === page.records.length && skipEvents.length === 0;
  await ledger.commit(skipEvents, (manager) => writeUsers(scope, manager, page, entries, ids, whole ? fingerprint : undefined), { page, ids });
}

async function writeUsers(
  scope: PageScope,
  manager: EntityManager,
  page: FetchedPage,
  entries: readonly RecordWrite<SyncedUserWrite>[],
  ids: string[],
  fingerprint: string | undefined,
): Promise<OutboxMessage[]> {
  const { ledger, deps } = scope;
  const accountId = ledger.account.id;
  const rejected = await deps.mirror.upsertUsersOrReject(manager, accountId, ledger.run.id, entries.map((e) => e.write));
  const { kept, events } = ledger.settleWrites('user', page, entries, rejected);
  await deps.mirror.removeMemberships(manager, accountId, kept.flatMap((e) => e.removed));
  await deps.mirror.addMemberships(manager, accountId, ledger.run.id, kept.flatMap((e) => e.added));
  await deps.lease.recordSeenPage(manager, ledger.run.id, 'users', page.page, ids);
  if (fingerprint !== undefined && rejected.length === 0) {
    await deps.fingerprints.recordPageFingerprint(manager, accountId, { phase: 'users', page: page.page, remoteIds: ids, fingerprint });
  }
  return events;
}
