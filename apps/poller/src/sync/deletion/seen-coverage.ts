import type { CoveredPhase, SeenPhase, SnapshotRepository } from '@kb4/persistence';
import type { Logger } from 'pino';

/** What the checks of one walk learnt so far. */
interface WalkCoverage {
  /** Mirror ids up to this one were checked ('-1' before the first batch: ids are never negative). */
  upTo: string;
  /** False once a range held a mirror row its batch did not show, or a check failed. */
  clean: boolean;
  /** The walk's checks, one after the other (one connection at most). */
  checks: Promise<void>;
}

const COVERED: ReadonlySet<SeenPhase> = new Set<CoveredPhase>(['users', 'enrollments']);

/**
 * Whether a walk of a list saw every row the mirror holds, learnt while the walk goes on: once a batch of pages is
 * committed, the mirror rows with ids above the previous batch's largest, up to this batch's largest, must all be on
 * this batch's pages (an index range, checked in the background). KnowBe4 lists ascending ids, so when every range
 * was clean only the rows above the walk's last id are left to look at when the run finalizes — instead of the sweep's
 * query over the whole mirror (~0.5 s for 100k users, after the last page: on the run's critical path). Ids out of
 * order, a resumed walk (its first pages were read by another process) or a failed check leave the sweep to its full
 * query, as before. A row another process writes into an already checked range during the run waits for the next run.
 */
export class SeenCoverage {
  private readonly walks = new Map<SeenPhase, WalkCoverage>();

  constructor(
    private readonly snapshot: Pick<SnapshotRepository, 'unseenInRange' | 'anyRemoteIdAbove'>,
    private readonly accountId: string,
    private readonly runId: string,
    private readonly log: Logger,
  ) {}

  /** A walk of `phase` starts at the list's first page (again, after a restart: what earlier checks learnt is dropped). */
  begin(phase: SeenPhase): void {
    // after the checks of an earlier walk, so settled() waits for those too
    if (COVERED.has(phase)) this.walks.set(phase, { upTo: '-1', clean: true, checks: this.walks.get(phase)?.checks ?? Promise.resolve() });
  }

  /** A walk resumed past the list's start: the pages before it are not known here. */
  forget(phase: SeenPhase): void {
    this.walks.delete(phase);
  }

  /** A batch of `phase` (these page numbers) is committed: the range it closes is checked in the background. */
  committed(phase: SeenPhase, pages: readonly number[]): void {
    const walk = this.walks.get(phase);
    if (!walk) return;
    walk.checks = walk.checks.then(async () => {
      if (!walk.clean) return;
      try {
        const range = await this.snapshot.unseenInRange(this.accountId, this.runId, phase as CoveredPhase, walk.upTo, pages);
        walk.upTo = range.upTo;
        if (range.unseen) walk.clean = false;
      } catch (error) {
        walk.clean = false;
        this.log.debug({ err: error, phase }, 'seen check failed; the finalize sweep queries the whole mirror');
      }
    });
  }

  /** True only when the walk of `phase` showed every mirror row: each range clean and none above its last id. */
  async nothingUnseen(phase: CoveredPhase): Promise<boolean> {
    const walk = this.walks.get(phase);
    if (!walk) return false;
    await walk.checks;
    return walk.clean && !(await this.snapshot.anyRemoteIdAbove(this.accountId, phase, walk.upTo));
  }

  /** Waits for checks still running (a run that ends leaves no query behind). */
  async settled(): Promise<void> {
    await Promise.all([...this.walks.values()].map((walk) => walk.checks));
  }
}
