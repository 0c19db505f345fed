import type { OutboxMessage } from './outbox.repository';

/**
 * The one INSERT into outbox_events, usable alone or as a CTE of a larger statement: rows in the given order, a
 * (topic, event id) already present skipped (so a re-run unit of work adds no duplicate), one `seq` returned per new
 * row. It reads the five parameters `outboxInsertParameters` builds, from `$first` on; `onlyIf` is a SQL condition
 * (e.g. an EXISTS over an earlier CTE) that must hold for any row to be inserted. Payloads travel as one JSON array
 * (no per-element array-literal escaping).
 */
export function outboxInsertSql(first: number, onlyIf?: string): string {
  const [ids, topics, keys, types, payloads] = [0, 1, 2, 3, 4].map((i) => `$${first + i}`);
  return `INSERT INTO outbox_events (event_id, topic, message_key, event_type, payload)
         SELECT e.event_id, e.topic, e.message_key, e.event_type, p.payload
           FROM unnest(${ids}::uuid[], ${topics}::text[], ${keys}::text[], ${types}::text[]) WITH ORDINALITY AS e(event_id, topic, message_key, event_type, ord)
           JOIN jsonb_array_elements(${payloads}::jsonb) WITH ORDINALITY AS p(payload, ord) USING (ord)${onlyIf ? `\n          WHERE ${onlyIf}` : ''}
          ORDER BY ord
         ON CONFLICT (topic, event_id) DO NOTHING
         RETURNING seq`;
}

/** The five parameters of `outboxInsertSql`, in order. */
export function outboxInsertParameters(messages: readonly OutboxMessage[]): unknown[] {
  return [
    messages.map((m) => m.event.id),
    messages.map((m) => m.topic),
    messages.map((m) => m.key),
    messages.map((m) => m.event.type),
    JSON.stringify(messages.map((m) => m.event)),
  ];
}
