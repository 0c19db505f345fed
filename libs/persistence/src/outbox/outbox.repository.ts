import type { CloudEventEnvelope } from '@kb4/contracts';
import { DataSource, EntityManager } from 'typeorm';
import { PreparedStatement } from '../prepared-statement';
import { outboxInsertParameters, outboxInsertSql } from './outbox-insert';

/** Events per INSERT statement: large enough to amortize the round trip, small enough to keep strings short. */
const ENQUEUE_CHUNK = 500;

/** One event to publish: the topic, its Kafka key and the whole CloudEvent. */
export interface OutboxMessage {
  topic: string;
  key: string;
  event: CloudEventEnvelope<unknown>;
}

export interface PendingOutboxRow extends OutboxMessage {
  seq: string;
  createdAt: Date;
}

export interface OutboxLag {
  pending: number;
  /** Age of the oldest unpublished row in seconds (0 when none is pending). */
  oldestPendingSeconds: number;
}

interface PendingRowSql {
  seq: string;
  topic: string;
  message_key: string;
  payload: CloudEventEnvelope<unknown>;
  created_at: Date;
}

// A relay runs these for every batch it publishes (see PreparedStatement).
const CLAIM_PENDING = new PreparedStatement<PendingRowSql>(
  'kb4_outbox_claim_pending',
  `SELECT seq, topic, message_key, payload, created_at
     FROM outbox_events
    WHERE published_at IS NULL AND topic = ANY($1::text[])
    ORDER BY seq
    LIMIT $2`,
);
const MARK_PUBLISHED = new PreparedStatement<never>('kb4_outbox_mark_published', `UPDATE outbox_events SET published_at = now() WHERE seq = ANY($1::bigint[])`);

/**
 * The transactional outbox: events are inserted with the change they describe (same EntityManager, same
 * transaction) and published later in `seq` order by an OutboxRelay.
 */
export class OutboxRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Inserts in the given order inside the caller's transaction. A (topic, event id) already present is skipped,
   * so re-running a crashed unit of work adds no duplicate. Returns how many rows were new. Payloads travel as
   * one JSON array per chunk (no per-element array-literal escaping), in chunks that keep each string small.
   */
  async enqueue(manager: EntityManager, messages: readonly OutboxMessage[]): Promise<number> {
    if (messages.length === 0) return 0;
    let inserted = 0;
    for (let start = 0; start < messages.length; start += ENQUEUE_CHUNK) {
      const chunk = messages.length <= ENQUEUE_CHUNK ? messages : messages.slice(start, start + ENQUEUE_CHUNK);
      const rows: unknown = await manager.query(outboxInsertSql(1), outboxInsertParameters(chunk));
      inserted += Array.isArray(rows) ? rows.length : 0;
    }
    // delivered on commit only; wakes relays listening on the channel
    if (inserted > 0) await manager.query(`SELECT pg_notify('outbox_events', '')`);
    return inserted;
  }

  /** The oldest unpublished rows of these topics, in `seq` order (the order they were written). */
  async claimPending(limit: number, topics: readonly string[]): Promise<PendingOutboxRow[]> {
    const rows = await CLAIM_PENDING.run(this.dataSource, [topics, limit]);
    return rows.map((row) => ({ seq: row.seq, topic: row.topic, key: row.message_key, event: row.payload, createdAt: row.created_at }));
  }

  async markPublished(seqs: readonly string[]): Promise<void> {
    if (seqs.length === 0) return;
    await MARK_PUBLISHED.run(this.dataSource, [seqs]);
  }

  async lag(topics: readonly string[]): Promise<OutboxLag> {
    const [row] = await this.dataSource.query<Array<{ pending: number; oldest: number }>>(
      `SELECT count(*)::int AS pending, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS oldest
         FROM outbox_events WHERE published_at IS NULL AND topic = ANY($1::text[])`,
      [topics],
    );
    return { pending: row?.pending ?? 0, oldestPendingSeconds: row?.oldest ?? 0 };
  }

  /** Published rows older than the retention are only needed for de-duplication of late re-runs. */
  async purgePublished(topics: readonly string[], olderThanSeconds: number): Promise<number> {
    // TypeORM answers a DELETE with [rows, affectedCount]
    const [, deleted] = await this.dataSource.query<[unknown, number]>(
      `DELETE FROM outbox_events
        WHERE published_at IS NOT NULL AND published_at < now() - make_interval(secs => $2) AND topic = ANY($1::text[])`,
      [topics, olderThanSeconds],
    );
    return deleted ?? 0;
  }
}
