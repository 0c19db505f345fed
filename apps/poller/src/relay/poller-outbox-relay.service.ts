import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { TOPICS } from '@kb4/contracts';
import { OutboxRelay } from '@kb4/persistence';
import { createKafka, createProducer, kafkaBrokerList, kafkaPublisher } from '@kb4/platform';
import type { Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { PollerConfig } from '../config/poller.config';
import { PollerMetrics } from '../metrics/poller-metrics';
import { POLLER_LOGGER } from '../poller.tokens';

export const POLLER_RELAY_NAME = 'poller';

/** Relays the poller's outbox rows (directory events and sync-run events) to Kafka, one replica at a time. */
@Injectable()
export class PollerOutboxRelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  private producer?: Producer;
  private relay?: OutboxRelay;
  private readonly metrics = PollerMetrics.shared();

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(PollerConfig) private readonly config: PollerConfig,
    @Inject(POLLER_LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.OUTBOX_RELAY_ENABLED) return;
    this.producer = createProducer(createKafka(kafkaBrokerList(this.config), 'kb4-poller'));
    const publish = kafkaPublisher(this.producer);
    let connected = false;
    const log = this.logger.child({ component: 'outbox-relay' });
    this.relay = new OutboxRelay(this.dataSource, {
      name: POLLER_RELAY_NAME,
      topics: [TOPICS.directoryEvents, TOPICS.syncRuns],
      databaseUrl: this.config.DATABASE_URL,
      batchSize: this.config.OUTBOX_BATCH_SIZE,
      publish: async (batch) => {
        if (!connected) {
          await this.producer!.connect();
          connected = true;
        }
        await publish(batch);
      },
      onPublished: (rows) => {
        for (const row of rows) this.metrics.published.inc({ topic: row.topic });
      },
      onError: (error, context) => {
        if (context.phase === 'publish') this.metrics.publishFailures.inc();
        log.warn({ err: error, ...context }, 'outbox relay failed; retrying from the same row');
      },
    });
    this.relay.start();
  }

  /** Wakes the relay right after a commit that enqueued events. */
  nudge(): void {
    this.relay?.nudge();
  }

  async refreshLagMetrics(): Promise<void> {
    if (!this.relay) return;
    const lag = await this.relay.lag();
    this.metrics.outboxPending.set({ relay: POLLER_RELAY_NAME }, lag.pending);
    this.metrics.outboxLag.set({ relay: POLLER_RELAY_NAME }, lag.oldestPendingSeconds);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
    await this.producer?.disconnect().catch(() => undefined);
  }
}
