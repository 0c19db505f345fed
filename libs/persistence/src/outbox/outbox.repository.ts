import type { CloudEventEnvelope } from '@kb4/contracts';
import { DataSource, EntityManager } from 'typeorm';

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

/**
 * The transactional outbox: events are inserted with the change they describe (same EntityManager, same
 * transaction) and published later in `seq` order by an OutboxRelay.
 */
export class OutboxRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Inserts in the given order inside the caller's transaction. A (topic, event id) already present is skipped,
   * so re-running a crashed unit of work adds no duplicate. Returns how many rows were new.
   */
  async enqueue(manager: EntityManager, messages: readonly OutboxMessage[]): Promise<number> {
    if (messages.length === 0) return 0;
    const rows: unknown = await manager.query(
      `INSERT INTO outbox_events (event_id, topic, message_key, event_type, payload)
       SELECT e.event_id, e.topic, e.message_key, e.event_type, e.payload
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[]) WITH ORDINALITY
              AS e(event_id, topic, message_key, event_type, payload, ord)
        ORDER BY e.ord
       ON CONFLICT (topic, event_id) DO NOTHING
       RETURNING seq`,
      [
        messages.map((m) => m.event.id),
        messages.map((m) => m.topic),
        messages.map((m) => m.key),
        messages.map((m) => m.event.type),
        messages.map((m) => JSON.stringify(m.event)),
      ],
    );
    const inserted = Array.isArray(rows) ? rows.length : 0;
    // delivered on commit only; wakes relays listening on the channel
    if (inserted > 0) await manager.query(`SELECT pg_notify('outbox_events', '')`);
    return inserted;
  }

  /** The oldest unpublished rows of these topics, in `seq` order (the order they were written). */
  async claimPending(limit: number, topics: readonly string[]): Promise<PendingOutboxRow[]> {
    const rows: PendingRowSql[] = await this.dataSource.query(
      `SELECT seq, topic, message_key, payload, created_at
         FROM outbox_events
        WHERE published_at IS NULL AND topic = ANY($1::text[])
        ORDER BY seq
        LIMIT $2`,
      [topics, limit],
    );
    return rows.map((row) => ({ seq: row.seq, topic: row.topic, key: row.message_key, event: row.payload, createdAt: row.created_at }));
  }

  async markPublished(seqs: readonly string[]): Promise<void> {
    if (seqs.length === 0) return;
    await this.dataSource.query(`UPDATE outbox_events SET published_at = now() WHERE seq = ANY($1::bigint[])`, [seqs]);
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
