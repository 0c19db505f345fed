import { emptyRosterCounts, RosterChange } from '@kb4/mapping';
import { WRITE_FIELD_LIMITS } from '@kb4/contracts';
import type { NewRosterItem, RosterRunRepository } from '@kb4/persistence';
import { changeView, rosterItem } from './roster-items';

/** Changes a plan answer shows; the whole plan is GET /roster-runs/{id}/items. */
export const ROSTER_CHANGES_SHOWN = 100;

/** Accumulates a plan: items written in batches, counts, and the first changes for the answer. */
export class PlanSink {
  readonly counts = emptyRosterCounts();
  readonly shown: Array<Record<string, unknown>> = [];
  private batch: NewRosterItem[] = [];
  private itemNo = 0;
  private batches = 0;
  // per direction and group (by its key id): the batch now filling (bounded by twice the account's groups)
  private readonly openBatches = new Map<string, { batchNo: number; size: number }>();

  constructor(private readonly runs: RosterRunRepository, private readonly runId: string, private readonly accountId: string) {}

  add(change: RosterChange): void {
    this.counts[change.action]++;
    if (this.shown.length < ROSTER_CHANGES_SHOWN) this.shown.push(changeView(change));
    this.batch.push(rosterItem(this.accountId, ++this.itemNo, change, this.memberBatch(change)));
  }

  /** Users joining (or leaving) one group share batches of up to WRITE_FIELD_LIMITS.groupMembers: one SCIM PATCH per batch. */
  private memberBatch(change: RosterChange): number | null {
    if (change.action !== 'add_member' && change.action !== 'remove_member') return null;
    const key = `${change.action}:${change.group.keyId}`;
    const open = this.openBatches.get(key);
    if (open && open.size < WRITE_FIELD_LIMITS.groupMembers) {
      open.size++;
      return open.batchNo;
    }
    const batchNo = ++this.batches;
    this.openBatches.set(key, { batchNo, size: 1 });
    return batchNo;
  }

  async flush(atLeast = 1): Promise<void> {
    if (this.batch.length < atLeast) return;
    const batch = this.batch;
    this.batch = [];
    await this.runs.insertItems(this.runId, batch);
  }

  get total(): number {
    return this.itemNo;
  }
}
