import type { FetchedEnrollment } from '../diff/record-write';
import { diffEnrollments } from '../diff/enrollment-page-diff';
import type { FetchedPage } from '../walk/page-fetcher';
import { diffContext, PageScope } from './page-scope';

/** The changed enrollments of a page: diffed against the mirror and committed with their events and seen ids. */
export async function applyEnrollmentsPage(
  scope: PageScope,
  page: FetchedPage,
  fetched: ReadonlyMap<string, FetchedEnrollment>,
  fingerprint: string | undefined,
  changedIds: readonly string[],
): Promise<void> {
  const { ledger, deps } = scope;
  const accountId = ledger.account.id;
  const userIds = [...new Set(changedIds.map((id) => fetched.get(id)!.userId).filter((u): u is string => u !== null))];
  const knownUsers = await deps.snapshot.existingUserIds(accountId, userIds);
  const before = await deps.snapshot.enrollmentsByRemoteId(accountId, changedIds);
  const diff = diffEnrollments(fetched, changedIds, { knownUsers, before }, diffContext(scope));
  ledger.countDirty('enrollment', 'unknown_user', diff.unknownUser);
  const skipEvents = diff.skipped.map((skip) => ledger.skipRecord('enrollment', page, skip.remoteId, skip.reason));
  const { seen, entries } = diff;
  await ledger.commit(
    skipEvents,
    async (manager) => {
      const rejected = await deps.mirror.upsertEnrollmentsOrReject(manager, accountId, ledger.run.id, entries.map((e) => e.write));
      const { events } = ledger.settleWrites('enrollment', page, entries, rejected);
      await deps.lease.recordSeenPage(manager, ledger.run.id, 'enrollments', page.page, seen);
      // dirty entries (no id, unknown user) are never stored: such a page is diffed record by record every run
      if (fingerprint !== undefined && seen.length === page.records.length && skipEvents.length === 0 && rejected.length === 0) {
        await deps.fingerprints.recordPageFingerprint(manager, accountId, { phase: 'enrollments', page: page.page, remoteIds: seen, fingerprint });
      }
      return events;
    },
    { page, ids: seen },
  );
}
