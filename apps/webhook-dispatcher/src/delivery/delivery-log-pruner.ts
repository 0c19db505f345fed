import type { WebhookDeliveryRepository } from '@kb4/persistence';
import type { Logger } from 'pino';

const BATCH = 5_000;
const INTERVAL_MS = 3_600_000;

/** Keeps the delivery log to its retention: hourly (and soon after start), finished deliveries past it are deleted in batches. */
export class DeliveryLogPruner {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly retentionSeconds: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setTimeout(() => this.tick(), 30_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private tick(): void {
    this.running = this.prune().finally(() => {
      this.running = undefined;
      if (this.timer) {
        this.timer = setTimeout(() => this.tick(), INTERVAL_MS);
        this.timer.unref();
      }
    });
  }

  async prune(): Promise<number> {
    let total = 0;
    try {
      for (;;) {
        const deleted = await this.deliveries.pruneFinished(this.retentionSeconds, BATCH);
        total += deleted;
        if (deleted < BATCH) break;
      }
      if (total > 0) this.logger.info({ deleted: total }, 'pruned finished webhook deliveries past their retention');
    } catch (error) {
      this.logger.warn({ err: error }, 'could not prune the webhook delivery log; trying again later');
    }
    return total;
  }
}
