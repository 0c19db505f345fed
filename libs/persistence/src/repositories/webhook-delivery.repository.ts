import { DataSource, EntityManager } from 'typeorm';

/** One webhook event derived from one Kafka event, before it is matched to the webhooks that want it. */
export interface WebhookEventToStore {
  /** Webhook event name, e.g. `record:created`. */
  eventType: string;
  /** The CloudEvent id (de-duplicates Kafka redeliveries). */
  eventId: string;
  /** The Kafka key: deliveries of one key to one webhook go out in order. */
  recordKey: string;
  integratedAccountId: string;
  /** When the Kafka message was produced: a webhook receives only events produced after it was created. */
  producedAt: Date;
  payload: Record<string, unknown>;
}

/** A delivery claimed by one dispatcher for one attempt, with what it needs to send it. */
export interface ClaimedDelivery {
  id: string;
  webhook_id: string;
  event_type: string;
  payload: Record<string, unknown>;
  attempt_count: number;
  schedule_step: number;
  first_attempt_at: Date | null;
  url: string;
  secret_ciphertext: string;
}

export interface AttemptRecord {
  attemptedAt: Date;
  durationMs: number;
  responseStatus: number | null;
  responseBody: string | null;
  error: string | null;
}

/** What becomes of a delivery after an attempt. */
export type AttemptOutcome = { kind: 'succeeded' } | { kind: 'retry'; delaySeconds: number } | { kind: 'given_up' };

export interface AttemptSettlement {
  /** False when the lease was lost (another dispatcher took the delivery over): nothing was recorded. */
  recorded: boolean;
  /** Set when this failure disabled the webhook. */
  disabledReason?: string;
}

/**
 * The dispatcher's side of webhook deliveries: stores the deliveries of consumed Kafka events (inside the caller's
 * transaction, before the offset commit), claims due deliveries with a lease (FOR UPDATE SKIP LOCKED, so replicas
 * never send one twice at once), and records each attempt's outcome — including the automatic disabling.
 */
export class WebhookDeliveryRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Stores one delivery per enabled webhook whose filters match; a redelivered event adds nothing. Returns how many.
   * A Kafka timestamp has millisecond precision and created_at microseconds: they are compared to the millisecond, so an
   * event produced in the millisecond its webhook was created is delivered (it was dropped before).
   */
  async storeDeliveries(manager: EntityManager, event: WebhookEventToStore): Promise<number> {
    const rows = await manager.query<unknown[]>(
      `INSERT INTO webhook_deliveries (webhook_id, event_type, event_id, record_key, payload)
       SELECT w.id, $1, $2, $3, $6::jsonb
         FROM webhooks w JOIN integrated_accounts a ON a.workspace_id = w.workspace_id AND a.id = $4::uuid
        WHERE w.status = 'enabled' AND date_trunc('milliseconds', w.created_at) <= $5
          AND (w.events IS NULL OR $1 = ANY(w.events))
          AND (w.integrated_account_ids IS NULL OR a.id = ANY(w.integrated_account_ids))
       ON CONFLICT (webhook_id, event_id, event_type) DO NOTHING RETURNING id`,
      [event.eventType, event.eventId, event.recordKey, event.integratedAccountId, event.producedAt, JSON.stringify(event.payload)],
    );
    return rows.length;
  }

  /** True when the account was not known to be failing authentication before (the transition to report). */
  async markAuthenticationFailed(manager: EntityManager, accountId: string): Promise<boolean> {
    const rows = await manager.query<unknown[]>(
      `INSERT INTO webhook_account_auth_states (account_id, auth_failed) VALUES ($1, true)
       ON CONFLICT (account_id) DO UPDATE SET auth_failed = true, changed_at = now() WHERE NOT webhook_account_auth_states.auth_failed
       RETURNING account_id`,
      [accountId],
    );
    return rows.length > 0;
  }

  /** True when the account was failing authentication until now (a completed run proves its key works again). */
  async markAuthenticationWorking(manager: EntityManager, accountId: string): Promise<boolean> {
    const [rows] = await manager.query<[unknown[], number]>(
      `UPDATE webhook_account_auth_states SET auth_failed = false, changed_at = now() WHERE account_id = $1 AND auth_failed RETURNING account_id`,
      [accountId],
    );
    return rows.length > 0;
  }

  /**
   * Leases up to `limit` due deliveries of enabled webhooks. A delivery is due only when no earlier delivery of the
   * same key to the same webhook is still pending, so each record's events reach a webhook in order.
   */
  async claimDue(owner: string, limit: number, leaseSeconds: number): Promise<ClaimedDelivery[]> {
    if (limit <= 0) return [];
    const [rows] = await this.dataSource.query<[ClaimedDelivery[], number]>(
      `WITH due AS (
         SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id AND w.status = 'enabled'
          WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND (d.lease_expires_at IS NULL OR d.lease_expires_at < now())
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e
                             WHERE e.webhook_id = d.webhook_id AND e.record_key = d.record_key AND e.status = 'pending' AND e.seq < d.seq)
          ORDER BY d.next_attempt_at, d.seq LIMIT $2
          FOR UPDATE OF d SKIP LOCKED)
       UPDATE webhook_deliveries d SET lease_owner = $1, lease_expires_at = now() + make_interval(secs => $3)
         FROM due, webhooks w WHERE d.id = due.id AND w.id = d.webhook_id
       RETURNING d.id, d.webhook_id, d.event_type, d.payload, d.attempt_count, d.schedule_step, d.first_attempt_at, w.url, w.secret_ciphertext`,
      [owner, limit, leaseSeconds],
    );
    return rows;
  }

  /**
   * Records one attempt and the delivery's next state in one transaction, if the lease is still ours. A success ends
   * the webhook's failure streak; a failure starts or extends it, and disables the webhook when every attempt has
   * failed for `disableAfterSeconds`, or when a delivery is given up with no success since its first attempt.
   */
  async settleAttempt(owner: string, delivery: ClaimedDelivery, attempt: AttemptRecord, outcome: AttemptOutcome, disableAfterSeconds: number): Promise<AttemptSettlement> {
    return this.dataSource.transaction(async (manager) => {
      const [updated] = await manager.query<[Array<{ first_attempt_at: Date }>, number]>(
        `UPDATE webhook_deliveries SET attempt_count = attempt_count + 1, schedule_step = schedule_step + 1,
                first_attempt_at = COALESCE(first_attempt_at, $3), lease_owner = NULL, lease_expires_at = NULL,
                status = CASE $4 WHEN 'succeeded' THEN 'succeeded' WHEN 'given_up' THEN 'failed' ELSE 'pending' END,
                finished_at = CASE WHEN $4 = 'retry' THEN NULL ELSE now() END,
                next_attempt_at = CASE WHEN $4 = 'retry' THEN now() + make_interval(secs => $5) ELSE next_attempt_at END
          WHERE id = $1 AND lease_owner = $2 AND status = 'pending' RETURNING first_attempt_at`,
        [delivery.id, owner, attempt.attemptedAt, outcome.kind, outcome.kind === 'retry' ? outcome.delaySeconds : 0],
      );
      if (updated.length === 0) return { recorded: false };
      await manager.query(
        `INSERT INTO webhook_delivery_attempts (delivery_id, attempted_at, duration_ms, response_status, response_body, error) VALUES ($1, $2, $3, $4, $5, $6)`,
        [delivery.id, attempt.attemptedAt, attempt.durationMs, attempt.responseStatus, attempt.responseBody, attempt.error],
      );
      if (outcome.kind === 'succeeded') {
        await manager.query(`UPDATE webhooks SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL`, [delivery.webhook_id]);
        return { recorded: true };
      }
      const disabledReason = await this.extendFailureStreak(manager, delivery.webhook_id, attempt.attemptedAt, outcome.kind === 'given_up' ? updated[0].first_attempt_at : undefined, disableAfterSeconds);
      return { recorded: true, disabledReason };
    });
  }

  private async extendFailureStreak(manager: EntityManager, webhookId: string, failedAt: Date, givenUpSince: Date | undefined, disableAfterSeconds: number): Promise<string | undefined> {
    const [[webhook]] = await manager.query<[Array<{ failing_since: Date }>, number]>(
      `UPDATE webhooks SET failing_since = COALESCE(failing_since, $2) WHERE id = $1 RETURNING failing_since`,
      [webhookId, failedAt],
    );
    if (!webhook) return undefined;
    const failingFor = (Date.now() - webhook.failing_since.getTime()) / 1000;
    let reason: string | undefined;
    if (givenUpSince && webhook.failing_since.getTime() <= givenUpSince.getTime()) {
      reason = `a delivery was given up after every retry failed, with no successful delivery since ${webhook.failing_since.toISOString()}`;
    } else if (failingFor >= disableAfterSeconds) {
      reason = `every delivery attempt has failed since ${webhook.failing_since.toISOString()}`;
    }
    if (!reason) return undefined;
    const [disabled] = await manager.query<[unknown[], number]>(
      `UPDATE webhooks SET status = 'disabled', disabled_reason = $2, disabled_at = now(), updated_at = now() WHERE id = $1 AND status = 'enabled' RETURNING id`,
      [webhookId, reason],
    );
    return disabled.length > 0 ? reason : undefined;
  }

  /** Deletes up to `limit` deliveries (with their attempts) that finished more than `olderThanSeconds` ago; returns how many. */
  async pruneFinished(olderThanSeconds: number, limit: number): Promise<number> {
    const [, count] = await this.dataSource.query<[unknown[], number]>(
      `DELETE FROM webhook_deliveries WHERE id IN (
         SELECT id FROM webhook_deliveries WHERE status <> 'pending' AND finished_at < now() - make_interval(secs => $1) LIMIT $2)`,
      [olderThanSeconds, limit],
    );
    return count;
  }
}
