import { randomUUID } from 'node:crypto';
import { ClaimedDelivery, CredentialCipher, WebhookDeliveryRepository } from '@kb4/persistence';
import type { Logger } from 'pino';
import { afterAttempt } from './retry-schedule';
import { deliveryAttempts, deliveriesFinished, webhooksDisabled } from './dispatcher-metrics';
import type { SendResult, WebhookSender } from './webhook-sender';

export interface DeliveryWorkerOptions {
  concurrency: number;
  pollIntervalMs: number;
  leaseSeconds: number;
  retrySchedule: readonly number[];
  disableAfterSeconds: number;
}

/**
 * Sends due deliveries from Postgres: claims up to `concurrency` with a lease (replicas skip each other's claims),
 * sends each, and records the attempt and the next step (retry at the schedule's next wait, give up, or done).
 * Woken when the consumer stored deliveries and when one finished (its record's next delivery may now be due).
 */
export class DeliveryWorker {
  readonly owner = `dispatcher-${randomUUID()}`;
  private readonly inFlight = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private claiming = false;
  private claimAgain = false;
  private stopped = false;

  constructor(
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly cipher: CredentialCipher,
    private readonly sender: WebhookSender,
    private readonly options: DeliveryWorkerOptions,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.schedule(0);
  }

  /** Look for due deliveries now (new ones were stored, or a slot or a record's turn became free). */
  nudge(): void {
    if (this.stopped) return;
    if (this.claiming) this.claimAgain = true;
    else this.schedule(0);
  }

  /** Stops claiming and waits for the attempts in flight (each bounded by the send timeout) to be recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.claim(), delayMs);
  }

  private async claim(): Promise<void> {
    if (this.stopped) return;
    this.claiming = true;
    try {
      do {
        this.claimAgain = false;
        const free = this.options.concurrency - this.inFlight.size;
        const claimed = await this.deliveries.claimDue(this.owner, free, this.options.leaseSeconds);
        for (const delivery of claimed) this.track(this.deliver(delivery));
      } while (this.claimAgain && !this.stopped);
    } catch (error) {
      this.logger.error({ err: error }, 'could not claim due webhook deliveries; trying again');
    } finally {
      this.claiming = false;
      if (!this.stopped) this.schedule(this.options.pollIntervalMs);
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => {
      this.inFlight.delete(work);
      this.nudge();
    });
  }

  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    let result: SendResult;
    const attemptedAt = new Date();
    try {
      const secret = this.cipher.decryptText(delivery.secret_ciphertext);
      result = await this.sender.send(delivery.url, secret, delivery.id, JSON.stringify(delivery.payload));
    } catch (error) {
      result = { status: null, body: null, error: `could not sign: ${(error as Error).message}`, durationMs: 0 };
    }
    const outcome = afterAttempt(this.options.retrySchedule, delivery.schedule_step + 1, result.status);
    deliveryAttempts.inc({ outcome: outcome.kind === 'succeeded' ? 'delivered' : 'failed' });
    try {
      const settled = await this.deliveries.settleAttempt(
        this.owner,
        delivery,
        { attemptedAt, durationMs: result.durationMs, responseStatus: result.status, responseBody: result.body, error: result.error },
        outcome,
        this.options.disableAfterSeconds,
      );
      if (!settled.recorded) {
        this.logger.warn({ delivery_id: delivery.id }, 'lease on a webhook delivery was lost before its attempt was recorded; another dispatcher owns it');
        return;
      }
      if (outcome.kind !== 'retry') deliveriesFinished.inc({ outcome: outcome.kind });
      if (outcome.kind === 'given_up') this.logger.warn({ delivery_id: delivery.id, webhook_id: delivery.webhook_id, attempts: delivery.attempt_count + 1 }, 'webhook delivery given up after its last retry');
      if (settled.disabledReason) {
        webhooksDisabled.inc();
        this.logger.warn({ webhook_id: delivery.webhook_id, reason: settled.disabledReason }, 'webhook disabled after persistent delivery failure');
      }
    } catch (error) {
      // The lease runs out and the delivery is attempted again: at least once.
      this.logger.error({ err: error, delivery_id: delivery.id }, 'could not record a webhook delivery attempt');
    }
  }
}
