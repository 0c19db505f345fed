import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { TOPICS } from '@kb4/contracts';
import { OutboxRelay } from '@kb4/persistence';
import { createKafka, createProducer, kafkaBrokerList, kafkaPublisher } from '@kb4/platform';
import type { Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import { GatewayConfig } from '../config/gateway.config';

/**
 * Publishes the provisioning commands the gateway wrote to the outbox (same transaction as their operation)
 * to `knowbe4.provisioning.commands`, in order; one relay per database holds the lock, the others stand by.
 */
@Injectable()
export class CommandRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('CommandRelay');
  private producer?: Producer;
  private relay?: OutboxRelay;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const producer = createProducer(createKafka(kafkaBrokerList(this.config), 'kb4-gateway'));
    await producer.connect();
    this.producer = producer;
    this.relay = new OutboxRelay(this.dataSource, {
      name: 'provisioning-commands',
      topics: [TOPICS.provisioningCommands],
      databaseUrl: this.config.DATABASE_URL,
      publish: kafkaPublisher(producer),
      pollIntervalMs: 200,
      onError: (error, context) => this.logger.warn(`command relay ${context.phase} failed (attempt ${context.attempt}): ${error.message}`),
    });
    this.relay.start();
  }

  /** Right after a commit that enqueued a command, so it does not wait for the next poll. */
  nudge(): void {
    this.relay?.nudge();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
    await this.producer?.disconnect();
  }
}
