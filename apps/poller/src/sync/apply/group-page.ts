import { diffGroups, screenGroups } from '../diff/group-page-diff';
import type { FetchedPage } from '../walk/page-fetcher';
import { diffContext, maxRecordChars, PageScope } from './page-scope';

/** A page of groups: diffed against the mirror and committed with its events and seen ids (groups have no fast path). */
export async function applyGroupsPage(scope: PageScope, page: FetchedPage): Promise<void> {
  const { ledger, deps } = scope;
  const accountId = ledger.account.id;
  const screening = screenGroups(page.records, maxRecordChars(deps));
  ledger.countDirty('group', 'no_id', screening.noId);
  const skipEvents = screening.skipped.map((skip) => ledger.skipRecord('group', page, skip.remoteId, skip.reason));
  const ids = [...screening.fetched.keys()];
  ledger.counts.groups_seen += ids.length;
  const existing = await deps.snapshot.groupsByRemoteId(accountId, ids);
  const newNames = ids.filter((id) => !existing.has(id)).map((id) => screening.fetched.get(id)?.raw.name).filter((name): name is string => typeof name === 'string');
  const provisioned = await deps.snapshot.provisionedGroupsByName(accountId, newNames);
  const entries = diffGroups(screening, existing, diffContext(scope), provisioned);
  await ledger.commit(
    skipEvents,
    async (manager) => {
      const rejected = await deps.mirror.upsertGroupsOrReject(manager, accountId, ledger.run.id, entries.map((e) => e.write));
      const { events } = ledger.settleWrites('group', page, entries, rejected);
      await deps.lease.recordSeenPage(manager, ledger.run.id, 'groups', page.page, ids);
      return events;
    },
    { page, ids },
  );
}
