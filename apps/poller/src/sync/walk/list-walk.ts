import type { ReportingClient } from '@kb4/knowbe4';
import type { SeenPhase } from '@kb4/persistence';
import type { PageCommitter } from '../commit/page-committer';
import type { SeenCoverage } from '../deletion/seen-coverage';
import { firstId } from '../diff/collect';
import type { Checkpoint } from '../run/checkpoint';
import type { RunLedger } from '../run/run-ledger';
import type { SyncSettings } from '../run/sync-dependencies';
import { CursorRejectedError, fetchPages, FetchedPage, PaginationSetting } from './page-fetcher';

/** Restarts of one list from its beginning because KnowBe4 refused a cursor, before the run fails instead. */
const MAX_CURSOR_RESTARTS = 2;

/** Consecutive already-fetched pages one fast-path statement may settle. */
const PAGES_PER_STATEMENT = 4;

export interface ListWalkEnv {
  ledger: RunLedger;
  client: ReportingClient;
  settings: SyncSettings;
  committer: PageCommitter;
  /** Learns, batch by batch, whether the walk saw every mirror row (spares the finalize sweep its full query). */
  coverage?: SeenCoverage;
}

/** Where a walk of a list starts. */
interface WalkStart {
  pagination: PaginationSetting;
  page: number;
  /** Cursor mode: the cursor of `page` (`''`: the list was read to its end). */
  cursor?: string;
  /** Page numbers, resumed: the first page is checked against the checkpoint's largest id. */
  lastIdToCheck: string | null;
}

/**
 * Walks one list phase to its end, from the checkpoint when resumed, committing batches of pages in page order
 * while the next are fetched. A refused cursor, or records that slid past a resumed checkpoint, restart the list
 * from its start (the diff makes re-reading safe).
 */
export async function walkList(env: ListWalkEnv, phase: SeenPhase): Promise<void> {
  const setting = env.settings.pagination ?? 'auto';
  let start = resumePosition(env.ledger.checkpoint, setting);
  let cursorRestarts = 0;
  // the walk's last page was committed, the phase change was not
  let done = start.cursor === '';
  while (!done) {
    let restarted: boolean;
    try {
      restarted = await walkOnce(env, phase, start);
    } catch (error) {
      // an expired (or otherwise refused) cursor: the list is read again from its start, the diff makes that safe
      if (!(error instanceof CursorRejectedError) || cursorRestarts >= MAX_CURSOR_RESTARTS) throw error;
      cursorRestarts += 1;
      env.ledger.log.warn({ phase, page: error.page, status: error.rejection.status }, 'KnowBe4 refused a cursor; reading the list again from its start');
      restarted = true;
    }
    done = !restarted;
    start = { pagination: setting, page: 1, lastIdToCheck: null };
  }
}

function resumePosition(checkpoint: Checkpoint, setting: PaginationSetting): WalkStart {
  const resumed = checkpoint.page > 0;
  // a checkpoint written before cursors existed was walking page numbers
  const pagination: PaginationSetting = resumed ? (checkpoint.pagination ?? 'page') : setting;
  return {
    pagination,
    // cursor walk: the checkpoint holds the next page's cursor, so a resumed walk reads on from there
    cursor: resumed && pagination === 'cursor' ? (checkpoint.cursor ?? '') : undefined,
    // page numbers: the last committed page is read again, to see whether records slid past the checkpoint
    page: !resumed ? 1 : pagination === 'page' ? checkpoint.page : checkpoint.page + 1,
    lastIdToCheck: resumed && pagination === 'page' ? checkpoint.last_id : null,
  };
}

/** One pass over the list; true when it must start over (records slid past the checkpoint). */
async function walkOnce(env: ListWalkEnv, phase: SeenPhase, start: WalkStart): Promise<boolean> {
  const { ledger, committer, settings, coverage } = env;
  // loaded while the first page is fetched: a page that arrives before them is not known yet (page mode parses it)
  const storedPages = committer.loadStoredPages(phase);
  storedPages.catch(() => undefined);
  if (start.page === 1 && start.cursor === undefined) coverage?.begin(phase);
  else coverage?.forget(phase);
  // enrollments: KnowBe4 adds each one's campaign and store purchase ids only when asked (the graph serves both)
  const query = phase === 'enrollments' ? { include_campaign_id: 'true', include_store_purchase_id: 'true' } : {};
  const pages = fetchPages(env.client, phase === 'enrollments' ? '/training/enrollments' : `/${phase}`, query, {
    startPage: start.page,
    pagination: start.pagination,
    startCursor: start.cursor,
    perPage: settings.perPage,
    concurrency: settings.pageConcurrency,
    signal: ledger.signal,
    maxBatch: PAGES_PER_STATEMENT,
    knownLength: (page, fingerprint) => committer.storedMatch(phase, page, fingerprint)?.records,
    onPageModeFallback: () => ledger.log.info({ phase }, 'KnowBe4 answered cursor=true with a bare array (an API without cursors); walking page numbers'),
  });
  // bounded pipeline: page N+1 is fingerprinted while page N's statement runs; commits stay in page order
  let inFlight: Promise<void> | undefined;
  let lastIdToCheck = start.lastIdToCheck;
  try {
    for await (const batch of pages) {
      ledger.throwIfAborted();
      await storedPages;
      if (lastIdToCheck !== null && shiftedPast(batch[0], phase, lastIdToCheck)) {
        ledger.log.info({ phase, page: batch[0].page }, 'list shifted since the checkpoint; restarting the phase');
        return true;
      }
      lastIdToCheck = null;
      const commitBatch = committer.batchCommitter(phase, batch);
      const pageNumbers = batch.map((page) => page.page);
      await inFlight;
      inFlight = commitBatch().then(() => coverage?.committed(phase, pageNumbers));
      // rejections are awaited below or on the next batch; this only keeps Node from reporting them early
      inFlight.catch(() => undefined);
    }
    await storedPages;
  } finally {
    // a fetch failure still lets the page already in flight commit (or fail) first
    await inFlight;
  }
  return false;
}

/** Records slid to earlier pages since the checkpoint: reading on could skip some. */
function shiftedPast(first: FetchedPage, phase: SeenPhase, lastId: string): boolean {
  const id = firstId(first.records, phase);
  return id !== null && BigInt(id) > BigInt(lastId);
}
