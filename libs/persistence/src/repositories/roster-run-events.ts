import {
  buildCloudEvent,
  deterministicEventId,
  integratedAccountSource,
  ROSTER_RUN_EVENT_TYPES,
  rosterRunKey,
  type RosterRunCounts,
  TOPICS,
} from '@kb4/contracts';
import type { OutboxMessage } from '../outbox/outbox.repository';

/** What a roster-run event needs of the run (a subset of RosterRunRow). */
export interface RosterRunEventSource {
  id: string;
  account_id: string;
  forced: boolean;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
  progress: Record<string, number>;
}

export type RosterRunEventKind = keyof typeof ROSTER_RUN_EVENT_TYPES;

/** planned = every item; done = succeeded operations; failed = failed operations (all finished ones at the end). */
export function rosterRunCounts(progress: Record<string, number>, finished: boolean): RosterRunCounts {
  const planned = Object.values(progress).reduce((sum, n) => sum + n, 0);
  const done = progress.succeeded ?? 0;
  return { planned, done, failed: finished ? planned - done : (progress.failed ?? 0) };
}

/** The kind a finished run reports: `failed` when any of its items failed, `completed` otherwise. */
export function finishedKind(run: Pick<RosterRunEventSource, 'progress'>): RosterRunEventKind {
  return rosterRunCounts(run.progress, true).failed > 0 ? 'failed' : 'completed';
}

/**
 * `knowbe4.roster_run.*` on `knowbe4.roster.runs` (key: the account). One id per run and kind, so a status change
 * re-done after a crash, or a relay publishing twice, carries the same id (at-least-once, de-duplicable).
 */
export function rosterRunEvent(run: RosterRunEventSource, kind: RosterRunEventKind): OutboxMessage {
  const finished = kind !== 'started';
  const counts = rosterRunCounts(run.progress, finished);
  const at = (finished ? run.finished_at : run.updated_at) ?? run.updated_at;
  const data: Record<string, unknown> = {
    integrated_account_id: run.account_id,
    roster_run_id: run.id,
    forced: run.forced,
    started_at: new Date(run.created_at).toISOString(),
    counts,
  };
  if (kind === 'completed') data.completed_at = new Date(at).toISOString();
  if (kind === 'failed') {
    data.failed_at = new Date(at).toISOString();
    data.error = {
      code: 'roster_items_failed',
      message: `${counts.failed} of ${counts.planned} changes failed; GET /roster-runs/${run.id}/items?status=failed lists them`,
      retryable: false,
    };
  }
  return {
    topic: TOPICS.rosterRuns,
    key: rosterRunKey(run.account_id),
    event: buildCloudEvent({
      id: deterministicEventId([run.account_id, 'roster_run', run.id, kind]),
      type: ROSTER_RUN_EVENT_TYPES[kind],
      source: integratedAccountSource(run.account_id),
      subject: `roster-runs/${run.id}`,
      time: new Date(at),
      data,
    }),
  };
}
