import { DIRECTORY_EVENT_TYPES } from '@kb4/contracts';
import { KnowBe4NotFoundError, ScimClient } from '@kb4/knowbe4';
import type { GhostCandidate } from '@kb4/persistence';
import type { PageScope } from '../apply/page-scope';
import { directoryEvent } from '../events/directory-events';
import { SyncInterrupted } from '../run/run-ledger';

/**
 * Rows created through SCIM that no run matched to a Reporting user. Once untouched for the grace period (the
 * Reporting API may lag behind SCIM), SCIM is asked by id: a 404 (hard-deleted in the console) removes the row with
 * `user.deleted`; a user SCIM still has is kept. At most `deleteConfirmLimit` questions per run; a SCIM failure
 * only ends this check for the run (the Reporting side of the run is not at fault).
 */
export async function deleteGhostUsers(scope: PageScope): Promise<void> {
  const { ledger, deps } = scope;
  if (!deps.createScimClient) return;
  const grace = deps.settings.ghostGraceSeconds ?? 3600;
  let questionsLeft = deps.settings.deleteConfirmLimit ?? 100;
  // from a random candidate to the end, then from the start up to it: every ghost gets asked about in time
  const start = await deps.snapshot.ghostScanStart(ledger.account.id, grace);
  let range: { afterSeq: string; untilSeq?: string } = { afterSeq: start };
  let scim: ScimClient | undefined;
  // built on the first question, so an account without ghost candidates never builds a SCIM client
  const client = (): ScimClient => (scim ??= deps.createScimClient!(ledger.account));
  while (questionsLeft > 0) {
    const candidates = await deps.snapshot.ghostCandidates(ledger.account.id, grace, range, Math.min(questionsLeft, 100));
    if (candidates.length === 0) {
      if (range.untilSeq !== undefined || start === '0') return;
      range = { afterSeq: '0', untilSeq: start };
      continue;
    }
    range = { ...range, afterSeq: candidates[candidates.length - 1].seq };
    questionsLeft -= candidates.length;
    const { gone, failed } = await askScim(scope, client, candidates);
    if (failed) questionsLeft = 0;
    if (gone.length > 0) await removeGhosts(scope, gone);
  }
}

/** The candidates SCIM answers 404 for; `failed` when SCIM could not be asked (then only the run's check ends). */
async function askScim(scope: PageScope, client: () => ScimClient, candidates: readonly GhostCandidate[]): Promise<{ gone: GhostCandidate[]; failed: boolean }> {
  const gone: GhostCandidate[] = [];
  try {
    const scim = client();
    for (const ghost of candidates) {
      try {
        await scim.getUser(ghost.scimId, { signal: scope.ledger.signal });
      } catch (error) {
        if (!(error instanceof KnowBe4NotFoundError)) throw error;
        gone.push(ghost);
      }
    }
  } catch (error) {
    if (scope.ledger.signal.aborted) throw new SyncInterrupted();
    scope.ledger.log.warn({ err: error, found_gone: gone.length }, 'SCIM could not confirm users created through it; checking again next run');
    return { gone, failed: true };
  }
  return { gone, failed: false };
}

async function removeGhosts(scope: PageScope, gone: readonly GhostCandidate[]): Promise<void> {
  const { ledger, deps } = scope;
  const events = gone.map((ghost) => {
    ledger.counts.users_deleted += 1;
    return directoryEvent(ledger.ctx, 'user', ghost.scimId, DIRECTORY_EVENT_TYPES.userDeleted, ['ghost', ghost.contentHash], { user: ghost.record });
  });
  ledger.log.info({ scim_ids: gone.map((g) => g.scimId) }, 'users created through SCIM are gone from KnowBe4 (SCIM 404); removed from the mirror');
  await ledger.commit(events, (manager) => deps.mirror.deleteGhostUsers(manager, ledger.account.id, gone.map((g) => g.seq)));
}
