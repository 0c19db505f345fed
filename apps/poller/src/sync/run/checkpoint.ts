import type { IntegratedAccountEntity, SeenPhase, SyncRunEntity } from '@kb4/persistence';
import type { FetchedPage, ListPagination } from '../walk/page-fetcher';

/** `graph`: the identity graph (phishing, risk history), each resource on its own cadence and budget (sync/graph). */
export type Phase = SeenPhase | 'graph' | 'finalize';
export const PHASES: readonly Phase[] = ['groups', 'users', 'enrollments', 'graph', 'finalize'];

/** Where a run stands; saved with every commit, so a resumed run reads on from here. */
export interface Checkpoint extends Record<string, unknown> {
  baseline: boolean;
  phase: Phase;
  /** Last page of `phase` that was committed (0: none yet); its position in the walk in cursor mode too. */
  page: number;
  /** Largest remote id on that page; a resumed page-number walk checks that nothing slid past it. */
  last_id: string | null;
  /** How `phase` is being walked; absent in checkpoints from before cursors (page numbers). */
  pagination?: ListPagination;
  /** Cursor mode: the cursor of the page after `page` (`''`: that page was the last). */
  cursor?: string | null;
}

/** The run's saved checkpoint, or the start of a new run (a baseline when the account never completed one). */
export function initialCheckpoint(account: IntegratedAccountEntity, run: SyncRunEntity): Checkpoint {
  return (run.checkpoint as Checkpoint | null) ?? { baseline: account.lastSyncCompletedAt === null, phase: 'groups', page: 0, last_id: null };
}

/** The start of the phase after `current`. */
export function phaseStart(current: Checkpoint, phase: Phase): Checkpoint {
  return { baseline: current.baseline, phase, page: 0, last_id: null };
}

/** Where the walk stands once `page` is committed: its position, largest id and (cursor mode) the next cursor. */
export function checkpointAfter(current: Checkpoint, page: FetchedPage, lastId: string | null): Checkpoint {
  return {
    ...current,
    page: page.page,
    last_id: lastId ?? current.last_id,
    pagination: page.pagination,
    cursor: page.pagination === 'cursor' ? (page.nextCursor ?? '') : null,
  };
}

export function maxId(ids: readonly string[]): string | null {
  let max: bigint | null = null;
  for (const id of ids) {
    const value = BigInt(id);
    if (max === null || value > max) max = value;
  }
  return max === null ? null : max.toString();
}
