import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { TOPICS } from '@kb4/contracts';
import {
  CredentialCipher,
  IntegratedAccountRepository,
  OperationMirrorRepository,
  OperationRepository,
  AuditLogRepository,
  OutboxRepository,
} from '@kb4/persistence';
import { createKafka, KafkaOutboxRelay, kafkaBrokerList, ReadinessCheck } from '@kb4/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { CommandProcessor } from './commands/command-processor';
import { commandAttempts, commandDuration, commandsHandled } from './commands/provisioner-metrics';
import { ProvisionerConfig } from './config/provisioner.config';
import { CommandConsumer, CommandHandler } from './consumer/command-consumer';
import { ScimClientPool } from './scim/scim-client-pool';
import { ScimWriter } from './scim/scim-writer';

export const PROVISIONER_LOGGER = Symbol('PROVISIONER_LOGGER');

// Outcomes are final in Postgres at commit (GET /operations shows them); their events may wait a little to go out in
// batches: while outcomes keep coming, one relay wake (two statements, one Kafka produce) per this many ms at most.
const OUTCOME_RELAY_LINGER_MS = 50;

/**
 * The provisioner's moving parts: the command consumer, and the outbox relay that publishes the results and
 * DLQ entries written in the same transaction as each operation's outcome. Stops consumer first, relay second.
 */
@Injectable()
export class ProvisioningRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private relay?: KafkaOutboxRelay;
  private consumer?: CommandConsumer;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(ProvisionerConfig) private readonly config: ProvisionerConfig,
    @Inject(PROVISIONER_LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const config = this.config;
    const kafka = createKafka(kafkaBrokerList(config), 'kb4-provisioner');
    const relay = this.startOutcomeRelay();
    const accounts = new IntegratedAccountRepository(this.dataSource, CredentialCipher.fromConfig(config));
    const mirror = new OperationMirrorRepository(this.dataSource);
    const processor = new CommandProcessor({
      dataSource: this.dataSource,
      operations: new OperationRepository(this.dataSource),
      mirror,
      outbox: new OutboxRepository(this.dataSource),
      audit: new AuditLogRepository(this.dataSource),
      writer: new ScimWriter(mirror),
      clients: new ScimClientPool(accounts, {
        baseUrlOverride: config.KNOWBE4_BASE_URL_OVERRIDE,
        pacing: config.PROVISIONER_SCIM_PACING,
        httpAttempts: config.PROVISIONER_SCIM_HTTP_ATTEMPTS,
      }),
      budget: {
        maxAttempts: config.PROVISIONER_MAX_ATTEMPTS,
        baseDelayMs: config.PROVISIONER_RETRY_BASE_MS,
        maxDelayMs: config.PROVISIONER_RETRY_MAX_MS,
      },
      leaseSeconds: config.PROVISIONER_LEASE_SECONDS,
      logger: this.logger,
      onOutboxWritten: () => relay.nudge(),
      onAttempt: (commandType, outcome) => commandAttempts.inc({ command_type: commandType, outcome }),
    });
    const handle: CommandHandler = async (message, signal, abortCalls) => {
      const stop = commandDuration.startTimer();
      const outcome = await processor.handle(message, signal, abortCalls);
      stop();
      commandsHandled.inc({ outcome });
    };
    this.consumer = new CommandConsumer(
      kafka,
      handle,
      {
        groupId: config.PROVISIONER_CONSUMER_GROUP,
        concurrency: config.PROVISIONER_CONCURRENCY,
        maxBuffered: config.PROVISIONER_MAX_BUFFERED,
        sessionTimeoutMs: config.PROVISIONER_SESSION_TIMEOUT_MS,
        heartbeatIntervalMs: config.PROVISIONER_HEARTBEAT_INTERVAL_MS,
        maxWaitTimeMs: config.PROVISIONER_MAX_WAIT_MS,
      },
      this.logger,
    );
    await this.consumer.start();
    this.logger.info({ group: config.PROVISIONER_CONSUMER_GROUP, concurrency: config.PROVISIONER_CONCURRENCY }, 'consuming provisioning commands');
  }

  /** The relay of the results and DLQ entries each outcome's transaction wrote to the outbox. */
  private startOutcomeRelay(): KafkaOutboxRelay {
    const relay = new KafkaOutboxRelay({
      dataSource: this.dataSource,
      name: 'provisioning-outcomes',
      topics: [TOPICS.provisioningResults, TOPICS.provisioningDlq],
      brokers: kafkaBrokerList(this.config),
      clientId: 'kb4-provisioner-outcomes',
      databaseUrl: this.config.DATABASE_URL,
      nudgeLingerMs: OUTCOME_RELAY_LINGER_MS,
      logger: this.logger,
    });
    relay.start();
    this.relay = relay;
    return relay;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
    // Bounded: rows it could not publish stay in the outbox for the next provisioner's relay.
    const relay = this.relay?.stop();
    const timedOut = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(true), 2_000);
      void relay?.finally(() => {
        clearTimeout(timer);
        resolve(false);
      });
      if (!relay) resolve(false);
    });
    if (timedOut) this.logger.warn('outcome relay did not stop in time; unpublished outcomes stay in the outbox');
  }

  /** Ready once the consumer has joined its group, so commands published from now on are applied. */
  readiness(): ReadinessCheck {
    return {
      name: 'commands-consumer',
      check: async () => {
        if (!this.consumer?.isJoined) throw new Error('not yet a member of the consumer group');
      },
    };
  }
}
