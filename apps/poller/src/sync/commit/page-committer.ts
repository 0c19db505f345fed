import type { SeenPhase, StoredPageFingerprint } from '@kb4/persistence';
import { applyEnrollmentsPage } from '../apply/enrollment-page';
import { applyGroupsPage } from '../apply/group-page';
import type { PageScope } from '../apply/page-scope';
import { applyUsersPage } from '../apply/user-page';
import { collectEnrollments, collectUsers } from '../diff/collect';
import type { FetchedEnrollment, FetchedRecord } from '../diff/record-write';
import { fetchedRecordHash, pageFingerprint } from '../diff/record-hash';
import { checkpointAfter, maxId } from '../run/checkpoint';
import type { FetchedPage } from '../walk/page-fetcher';

interface CollectedPage {
  page: FetchedPage;
  fetched: Map<string, FetchedRecord>;
  /** The page's fingerprint as stored for comparison; undefined when the page can never match. */
  fingerprint: string | undefined;
}

/**
 * Where an unchanged page is skipped. A batch of pages whose raw bytes and mirror rows are as their last commit
 * left them costs one statement (never parsed); a page whose record fingerprints all match the mirror costs one
 * statement too; only records whose fingerprint differs get the full diff (apply/).
 */
export class PageCommitter {
  /** Pages of the current list phase as their last whole commit stored them (page → fingerprint, size, max id). */
  private storedPages = new Map<number, StoredPageFingerprint>();

  constructor(private readonly scope: PageScope) {}

  /** Loads the stored fingerprints of `phase` (groups are always diffed: none); until then no page matches. */
  async loadStoredPages(phase: SeenPhase): Promise<void> {
    const { deps, ledger } = this.scope;
    // the previous phase's pages must not match meanwhile (the walk may already be fetching)
    this.storedPages = new Map<number, StoredPageFingerprint>();
    if (phase !== 'groups') this.storedPages = await deps.fingerprints.storedPageFingerprints(ledger.account.id, phase);
  }

  /** The stored state of a page whose raw bytes are as its last whole commit saw them, else undefined. */
  storedMatch(phase: SeenPhase, page: number, fingerprint: string): StoredPageFingerprint | undefined {
    const stored = this.storedPages.get(page);
    return stored !== undefined && stored.fingerprint === this.comparableFingerprint(phase, fingerprint) ? stored : undefined;
  }

  /**
   * Reads the ids of a batch of consecutive pages at once (cheap, overlapping the previous batch's commit) and
   * returns what commits them, to run after the batch before.
   */
  batchCommitter(phase: SeenPhase, batch: readonly FetchedPage[]): () => Promise<void> {
    const onPage = (): void => this.scope.deps.onPage?.(phase);
    if (phase === 'groups') {
      return async () => {
        for (const page of batch) {
          await applyGroupsPage(this.scope, page);
          onPage();
        }
      };
    }
    // byte-identical to their last whole commit: settled from the stored ids, never parsed unless that fails
    const stored = batch.map((page) => this.storedMatch(phase, page.page, page.fingerprint));
    if (stored.every((match) => match !== undefined)) {
      return async () => {
        if (await this.commitPagesIfFingerprintsMatch(phase, batch, stored)) {
          batch.forEach(onPage);
          return;
        }
        await this.commitPagesRecordByRecord(phase, batch.map((page) => this.collectPage(phase, page)));
      };
    }
    const pages = batch.map((page) => this.collectPage(phase, page));
    return () => this.commitPagesRecordByRecord(phase, pages);
  }

  /** The page's fingerprint as stored for comparison: user records also depend on the group names (a rename). */
  private comparableFingerprint(phase: SeenPhase, fingerprint: string): string {
    return phase === 'users' ? pageFingerprint(`${fingerprint}:${this.scope.groups().digest}`) : fingerprint;
  }

  /** Cheap pass over a parsed page: the ids, and the fingerprint to store (none for a page with dirty entries). */
  private collectPage(phase: SeenPhase, page: FetchedPage): CollectedPage {
    const { fetched, noId } = phase === 'users' ? collectUsers(page.records) : collectEnrollments(page.records);
    this.scope.ledger.countDirty(phase === 'users' ? 'user' : 'enrollment', 'no_id', noId);
    // a page with dirty entries was never recorded as a whole (they are not stored), so it cannot match
    return { page, fetched, fingerprint: fetched.size === page.records.length ? this.comparableFingerprint(phase, page.fingerprint) : undefined };
  }

  /** Record fingerprints per page; only the records whose fingerprint differs from the mirror get the full diff. */
  private async commitPagesRecordByRecord(phase: SeenPhase, pages: readonly CollectedPage[]): Promise<void> {
    const groups = this.scope.groups();
    for (const { page, fetched, fingerprint } of pages) {
      for (const entry of fetched.values()) {
        entry.hash = phase === 'users' ? fetchedRecordHash(entry.raw, groups.namesOf(entry.raw.groups)) : fetchedRecordHash(entry.raw);
      }
      const changedIds = await this.commitPageIfUnchanged(phase, page, fetched, fingerprint);
      if (changedIds !== null) {
        if (phase === 'users') await applyUsersPage(this.scope, page, fetched, fingerprint, changedIds);
        else await applyEnrollmentsPage(this.scope, page, fetched as Map<string, FetchedEnrollment>, fingerprint, changedIds);
      }
      this.scope.deps.onPage?.(phase);
    }
  }

  /** One statement for consecutive pages whose bytes and mirror rows are as their last commit left them. */
  private async commitPagesIfFingerprintsMatch(phase: SeenPhase, pages: readonly FetchedPage[], stored: readonly StoredPageFingerprint[]): Promise<boolean> {
    const { ledger, deps } = this.scope;
    ledger.throwIfAborted();
    const seen = stored.reduce((n, page) => n + page.records, 0);
    const checkpoint = checkpointAfter(ledger.checkpoint, pages[pages.length - 1], stored[stored.length - 1].maxId);
    const committed = await deps.fingerprints.commitPagesIfFingerprintsMatch(
      ledger.leasedRun,
      { phase, pages: stored.map((p, i) => ({ page: pages[i].page, fingerprint: p.fingerprint })) },
      { pages: ledger.pages + pages.length, requests: ledger.requests, counts: ledger.countsWithSeen(phase, seen), checkpoint },
    );
    if (!committed) return false;
    ledger.pagesCommitted(phase, pages.length, seen, checkpoint);
    return true;
  }

  /**
   * One round trip for a page whose every record matches the mirror: progress, lease and seen ids are saved and
   * `null` is returned. Otherwise nothing is written and the ids that differ come back for the full diff.
   */
  private async commitPageIfUnchanged(
    phase: SeenPhase,
    page: FetchedPage,
    fetched: ReadonlyMap<string, { hash: string }>,
    fingerprint: string | undefined,
  ): Promise<string[] | null> {
    const { ledger, deps } = this.scope;
    ledger.throwIfAborted();
    const ids = [...fetched.keys()];
    const checkpoint = checkpointAfter(ledger.checkpoint, page, maxId(ids));
    const { committed, changedIds } = await deps.fingerprints.commitPageIfUnchanged(
      ledger.leasedRun,
      {
        phase,
        page: page.page,
        remoteIds: ids,
        hashes: ids.map((id) => fetched.get(id)!.hash),
        fingerprint: fetched.size === page.records.length ? fingerprint : undefined,
      },
      { pages: ledger.pages + 1, requests: ledger.requests, counts: ledger.countsWithSeen(phase, ids.length), checkpoint },
    );
    if (!committed) return changedIds;
    ledger.pagesCommitted(phase, 1, ids.length, checkpoint);
    return null;
  }
}
