import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { TOPICS } from '@kb4/contracts';
import { createLogger, KafkaOutboxRelay, kafkaBrokerList } from '@kb4/platform';
import { DataSource } from 'typeorm';
import { GatewayConfig } from '../config/gateway.config';

/**
 * While writes keep coming, the relay wakes at most once per this many ms (the first write of a quiet period at once):
 * each wake costs two statements and a Kafka produce, and each produce a fetch answer and a claim in the provisioner,
 * so under load commands go out in batches; a command waits at most this long more for Kafka.
 */
const COMMAND_RELAY_LINGER_MS = 25;

/**
 * Publishes the provisioning commands the gateway wrote to the outbox (same transaction as their operation)
 * to `knowbe4.provisioning.commands`, and the roster runs' lifecycle events to `knowbe4.roster.runs`, in order; one relay per database holds the lock, the others stand by.
 */
@Injectable()
export class CommandRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private relay?: KafkaOutboxRelay;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.relay = new KafkaOutboxRelay({
      dataSource: this.dataSource,
      name: 'provisioning-commands',
      topics: [TOPICS.provisioningCommands, TOPICS.rosterRuns],
      brokers: kafkaBrokerList(this.config),
      clientId: 'kb4-gateway',
      databaseUrl: this.config.DATABASE_URL,
      pollIntervalMs: 200,
      nudgeLingerMs: COMMAND_RELAY_LINGER_MS,
      logger: createLogger('gateway', this.config.LOG_LEVEL),
    });
    this.relay.start();
  }

  /** Right after a commit that enqueued a command, so it does not wait for the next poll. */
  nudge(): void {
    this.relay?.nudge();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
  }
}
