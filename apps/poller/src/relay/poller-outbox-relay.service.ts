import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { TOPICS } from '@kb4/contracts';
import { KafkaOutboxRelay, kafkaBrokerList } from '@kb4/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { PollerConfig } from '../config/poller.config';
import { POLLER_LOGGER } from '../poller.tokens';

export const POLLER_RELAY_NAME = 'poller';

/** Relays the poller's outbox rows (directory events and sync-run events) to Kafka, one replica at a time. */
@Injectable()
export class PollerOutboxRelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  private relay?: KafkaOutboxRelay;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(PollerConfig) private readonly config: PollerConfig,
    @Inject(POLLER_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.OUTBOX_RELAY_ENABLED) return;
    this.relay = new KafkaOutboxRelay({
      dataSource: this.dataSource,
      name: POLLER_RELAY_NAME,
      topics: [TOPICS.directoryEvents, TOPICS.syncRuns],
      brokers: kafkaBrokerList(this.config),
      clientId: 'kb4-poller',
      databaseUrl: this.config.DATABASE_URL,
      batchSize: this.config.OUTBOX_BATCH_SIZE,
      logger: this.logger,
    });
    this.relay.start();
  }

  /** Wakes the relay right after a commit that enqueued events. */
  nudge(): void {
    this.relay?.nudge();
  }

  async refreshLagMetrics(): Promise<void> {
    await this.relay?.refreshLagMetrics();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
  }
}
