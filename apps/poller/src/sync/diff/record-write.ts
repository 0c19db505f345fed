import type { SyncRecordSkipReason, SyncRunCounts } from '@kb4/contracts';
import type { MembershipPair, OutboxMessage } from '@kb4/persistence';
import type { RunContext } from '../events/directory-events';

/** A record as fetched, with its fingerprint (filled in once the page is diffed record by record). */
export interface FetchedRecord {
  raw: Record<string, unknown>;
  hash: string;
}

export interface FetchedEnrollment extends FetchedRecord {
  userId: string | null;
}

/** One record's mirror write with what follows from it, applied only once the mirror took the record. */
export interface RecordWrite<W> {
  write: W;
  events: OutboxMessage[];
  counts: Array<keyof SyncRunCounts>;
  added: MembershipPair[];
  removed: MembershipPair[];
}

/** A record a diff decided not to store, and why; reported with `knowbe4.sync.record_skipped`. */
export interface SkippedRecord {
  remoteId: string;
  reason: SyncRecordSkipReason;
}

/** What every page diff needs besides the page: whose events, whether directory events are emitted, the time. */
export interface DiffContext {
  ctx: RunContext;
  /** False during a `summary` baseline: rows are written, directory events are not. */
  emit: boolean;
  /** ISO time stamped on created/updated rows. */
  now: string;
  /** A record whose JSON is longer is skipped as `too_large`. */
  maxRecordChars: number;
}

export function emptyWrite<W>(): RecordWrite<W> {
  return { write: undefined as unknown as W, events: [], counts: [], added: [], removed: [] };
}
