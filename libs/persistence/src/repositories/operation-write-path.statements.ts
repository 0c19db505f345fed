import type { OperationEntity, OperationStatus } from '../entities/operations.entities';
import { outboxInsertSql } from '../outbox/outbox-insert';
import { PreparedStatement } from '../prepared-statement';
import { unmatchedUserInsertSql } from './operation-mirror.repository';

// Column → property aliases so a RETURNING row is an OperationEntity without another round trip.
export const OPERATION_COLUMNS = `id, workspace_id AS "workspaceId", account_id AS "accountId", kind, status, attempts, target_key AS "targetKey",
  request, result, error, idempotency_key AS "idempotencyKey", request_hash AS "requestHash", created_at AS "createdAt",
  updated_at AS "updatedAt", finished_at AS "finishedAt", republish_count AS "republishCount", republish_after AS "republishAfter", actor`;

export interface ClaimRow {
  processed: boolean;
  status: OperationStatus | null;
  accountId: string | null;
  kind: string | null;
  attempts: number | null;
  /** Another delivery holds the operation's lease for this long yet (null: no live lease). */
  leaseRemainingMs: number | null;
  /** Older unfinished operations of the same target exist (only asked when the claim checks for them). */
  hasPredecessors: boolean;
  account: Record<string, unknown> | null;
}

// The write path's statements (gateway records, provisioner claims and finishes), one round trip each, prepared once
// per connection (see PreparedStatement); OperationRepository runs them.
export const RECORD_WITH_COMMAND = new PreparedStatement<OperationEntity & { enqueued?: unknown }>(
  'kb4_record_operation_with_command',
  `WITH op AS (
         INSERT INTO operations (id, workspace_id, account_id, kind, status, attempts, target_key, request, idempotency_key, request_hash, actor)
         VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, $7, $8, $9)
         ON CONFLICT (workspace_id, account_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
         RETURNING ${OPERATION_COLUMNS}),
       cmd AS (${outboxInsertSql(10, 'EXISTS (SELECT 1 FROM op)')})
       SELECT op.*, (SELECT count(*) FROM cmd) AS enqueued FROM op`,
);

// Unfinished operations of the same target accepted before operation row `o` (an index probe).
const OLDER_UNFINISHED = (o: string): string => `EXISTS (
            SELECT 1 FROM operations p WHERE p.account_id = ${o}.account_id AND p.target_key = ${o}.target_key
               AND p.status IN ('queued', 'running') AND (p.created_at, p.id) < (${o}.created_at, ${o}.id))`;

/**
 * Attempts of many commands claimed in one autocommit statement (one row per input, in input order; arrays $1–$6
 * are parallel: operation, command, account, lease token, lease seconds, check predecessors). Each claim as on its
 * own: not processed, not finished, no live lease of another delivery, and (when asked) no older unfinished operation
 * of the same target; counts the attempt and takes the lease. The rows as they were before (`cur`) say why a
 * claim did not happen. An operation named twice is claimed by one of its inputs (the one whose token it returns).
 */
export const CLAIM_ATTEMPTS = new PreparedStatement<ClaimRow & { ord: string }>(
  'kb4_claim_attempts_leased',
  `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::float8[], $6::boolean[])
                WITH ORDINALITY AS i(operation_id, command_id, account_id, token, lease_seconds, check_predecessors, ord)),
       claimed AS (
         UPDATE operations o SET status = 'running', attempts = o.attempts + 1, updated_at = now(),
                lease_token = i.token, lease_expires_at = now() + make_interval(secs => i.lease_seconds)
           FROM input i
          WHERE o.id = i.operation_id AND o.account_id = i.account_id AND o.status IN ('queued', 'running')
            AND (o.lease_expires_at IS NULL OR o.lease_expires_at <= now())
            AND NOT EXISTS (SELECT 1 FROM processed_commands pc WHERE pc.command_id = i.command_id)
            AND EXISTS (SELECT 1 FROM integrated_accounts a WHERE a.id = o.account_id)
            AND NOT (i.check_predecessors AND ${OLDER_UNFINISHED('o')})
         RETURNING o.lease_token, o.attempts)
       SELECT i.ord, EXISTS (SELECT 1 FROM processed_commands pc WHERE pc.command_id = i.command_id) AS processed,
              cur.status, cur.account_id AS "accountId", cur.kind, c.attempts,
              CASE WHEN cur.lease_expires_at > now() THEN ceil(extract(epoch FROM cur.lease_expires_at - now()) * 1000)::int END AS "leaseRemainingMs",
              coalesce(i.check_predecessors AND ${OLDER_UNFINISHED('cur')}, false) AS "hasPredecessors",
              CASE WHEN a.id IS NULL THEN NULL ELSE json_build_object(
                'id', a.id, 'workspaceId', a.workspace_id, 'label', a.label, 'region', a.region, 'scimBaseUrl', a.scim_base_url,
                'credentialsCiphertext', a.credentials_ciphertext, 'credentialsKeyId', a.credentials_key_id, 'status', a.status) END AS account
         FROM input i
         LEFT JOIN operations cur ON cur.id = i.operation_id
         LEFT JOIN integrated_accounts a ON a.id = cur.account_id
         LEFT JOIN claimed c ON c.lease_token = i.token
        ORDER BY i.ord`,
);

/** The holder extends its lease while its SCIM call lasts; no row: the lease was lost. */
export const RENEW_LEASE = new PreparedStatement<{ id: string }>(
  'kb4_renew_operation_lease',
  `UPDATE operations SET lease_expires_at = now() + make_interval(secs => $3::float8) WHERE id = $1 AND lease_token = $2 RETURNING id`,
);

/** The holder gives its lease up (a retry backs off, the process stops): the next delivery need not wait for it. */
export const RELEASE_LEASE = new PreparedStatement<never>(
  'kb4_release_operation_lease',
  `UPDATE operations SET lease_token = NULL, lease_expires_at = NULL WHERE id = $1 AND lease_token = $2`,
);

/** The outcome, written only while lease $6 holds: final status, processed mark and outbox events. */
export const FINISH_WITH_EVENTS = new PreparedStatement<{ finished: string; processed: string; events: string }>(
  'kb4_finish_leased_operation_with_events',
  `WITH finished AS (
         UPDATE operations SET status = $2, result = $3, error = $4, updated_at = now(), finished_at = now(), lease_token = NULL, lease_expires_at = NULL
          WHERE id = $1 AND lease_token = $6 RETURNING id),
       processed AS (
         INSERT INTO processed_commands (command_id, operation_id) SELECT $5, $1 WHERE EXISTS (SELECT 1 FROM finished)
         ON CONFLICT (command_id) DO NOTHING RETURNING command_id),
       events AS (${outboxInsertSql(7, 'EXISTS (SELECT 1 FROM finished)')})
       SELECT (SELECT count(*) FROM finished) AS finished, (SELECT count(*) FROM processed) AS processed, (SELECT count(*) FROM events) AS events`,
);

/**
 * A created user's outcome while lease $18 holds (its row locked first): the mirror row when none matches yet and,
 * only if it was inserted, the final status, processed mark, outbox events and the operation's audit entries ($24,
 * audit_append's entries parameter; null for none) — the whole outcome in one round trip.
 */
export const FINISH_CREATED_USER = new PreparedStatement<{ leased: string; mirrored: string }>(
  'kb4_finish_leased_created_user_audited',
  `WITH lease AS (SELECT id FROM operations WHERE id = $16 AND lease_token = $18 FOR UPDATE),
       mirrored AS (${unmatchedUserInsertSql(1, 'EXISTS (SELECT 1 FROM lease)')}),
       finished AS (
         UPDATE operations SET status = 'succeeded', result = $15, error = NULL, updated_at = now(), finished_at = now(),
                lease_token = NULL, lease_expires_at = NULL
          WHERE id = $16 AND lease_token = $18 AND EXISTS (SELECT 1 FROM mirrored) RETURNING id),
       processed AS (
         INSERT INTO processed_commands (command_id, operation_id) SELECT $17, $16 WHERE EXISTS (SELECT 1 FROM mirrored)
         ON CONFLICT (command_id) DO NOTHING RETURNING command_id),
       events AS (${outboxInsertSql(19, 'EXISTS (SELECT 1 FROM mirrored)')}),
       audited AS (SELECT audit_append($1::uuid, $16::uuid, NULL, NULL, NULL, $24::jsonb) AS inserted WHERE $24::jsonb IS NOT NULL AND EXISTS (SELECT 1 FROM mirrored))
       SELECT (SELECT count(*) FROM lease) AS leased, (SELECT count(*) FROM mirrored) AS mirrored, (SELECT count(*) FROM finished) AS finished,
              (SELECT count(*) FROM processed) AS processed, (SELECT count(*) FROM events) AS events,
              (SELECT coalesce(sum(inserted), 0) FROM audited) AS audited`,
);

// When a claim found older unfinished operations of the same target: those operations, oldest first.
export const UNFINISHED_PREDECESSORS = new PreparedStatement<OperationEntity>(
  'kb4_unfinished_predecessors',
  `SELECT ${OPERATION_COLUMNS} FROM operations WHERE id IN (
     SELECT o.id FROM operations p
       JOIN operations o ON o.account_id = p.account_id AND o.target_key = p.target_key
                        AND o.status IN ('queued', 'running') AND (o.created_at, o.id) < (p.created_at, p.id)
      WHERE p.id = $1 ORDER BY o.created_at, o.id LIMIT $2)
    ORDER BY created_at, id`,
);
