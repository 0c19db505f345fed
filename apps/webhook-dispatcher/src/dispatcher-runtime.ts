import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { CredentialCipher, WebhookDeliveryRepository } from '@kb4/persistence';
import { createKafka, kafkaBrokerList, ReadinessCheck } from '@kb4/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { DispatcherConfig } from './config/dispatcher.config';
import { deliveriesStored } from './delivery/dispatcher-metrics';
import { DeliveryLogPruner } from './delivery/delivery-log-pruner';
import { DeliveryWorker } from './delivery/delivery-worker';
import { parseRetrySchedule } from './delivery/retry-schedule';
import { WebhookSender } from './delivery/webhook-sender';
import { EventConsumer } from './ingest/event-consumer';
import { EventIngestor } from './ingest/event-ingestor';

export const DISPATCHER_LOGGER = Symbol('DISPATCHER_LOGGER');

/**
 * The dispatcher's two halves: the consumer that stores deliveries from Kafka (offsets committed after), and the
 * worker that sends them from Postgres. Stops the consumer first, then lets attempts in flight be recorded.
 */
@Injectable()
export class DispatcherRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private consumer?: EventConsumer;
  private worker?: DeliveryWorker;
  private sender?: WebhookSender;
  private pruner?: DeliveryLogPruner;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(DispatcherConfig) private readonly config: DispatcherConfig,
    @Inject(DISPATCHER_LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const config = this.config;
    const policy = { allowHttp: config.WEBHOOKS_ALLOW_HTTP, allowPrivate: config.WEBHOOKS_ALLOW_PRIVATE };
    this.sender = new WebhookSender({ policy, timeoutMs: config.WEBHOOK_TIMEOUT_MS, responseBodyLimit: config.WEBHOOK_RESPONSE_BODY_LIMIT });
    const deliveries = new WebhookDeliveryRepository(this.dataSource);
    this.pruner = new DeliveryLogPruner(deliveries, config.WEBHOOK_LOG_RETENTION_DAYS * 86_400, this.logger);
    this.pruner.start();
    const worker = new DeliveryWorker(
      deliveries,
      CredentialCipher.fromConfig(config),
      this.sender,
      {
        concurrency: config.WEBHOOK_CONCURRENCY,
        pollIntervalMs: config.WEBHOOK_POLL_INTERVAL_MS,
        // longer than one attempt can take, so a live dispatcher never loses a claim it is still working on
        leaseSeconds: Math.max(config.WEBHOOK_LEASE_SECONDS, Math.ceil(config.WEBHOOK_TIMEOUT_MS / 1000) + 5),
        retrySchedule: parseRetrySchedule(config.WEBHOOK_RETRY_SCHEDULE),
        disableAfterSeconds: config.WEBHOOK_DISABLE_AFTER_SECONDS,
      },
      this.logger,
    );
    this.worker = worker;
    worker.start();
    this.consumer = new EventConsumer(
      createKafka(kafkaBrokerList(config), 'kb4-webhook-dispatcher'),
      new EventIngestor(this.dataSource, this.logger),
      {
        groupId: config.WEBHOOK_CONSUMER_GROUP,
        sessionTimeoutMs: config.WEBHOOK_SESSION_TIMEOUT_MS,
        heartbeatIntervalMs: config.WEBHOOK_HEARTBEAT_INTERVAL_MS,
        maxWaitTimeMs: config.WEBHOOK_MAX_WAIT_MS,
      },
      this.logger,
      (count) => {
        deliveriesStored.inc(count);
        worker.nudge();
      },
    );
    await this.consumer.start();
    this.logger.info({ group: config.WEBHOOK_CONSUMER_GROUP, owner: worker.owner }, 'dispatching webhooks');
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
    await this.worker?.stop();
    await this.pruner?.stop();
    await this.sender?.close();
  }

  /** Ready once the consumer has joined its group. */
  readiness(): ReadinessCheck {
    return {
      name: 'events-consumer',
      check: async () => {
        if (!this.consumer?.isJoined) throw new Error('not yet a member of the consumer group');
      },
    };
  }
}
