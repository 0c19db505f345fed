import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { TOPICS } from '@kb4/contracts';
import { AutomationConfigRepository, AutomationStateRepository } from '@kb4/persistence';
import { createKafka, KafkaOutboxRelay, kafkaBrokerList, ReadinessCheck } from '@kb4/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { AutomationsConfig } from './config/automations.config';
import { AutomationEngine } from './engine/automation-engine';
import { ChangeConsumer } from './ingest/change-consumer';
import { AutomationJobs } from './jobs/automation-jobs';

export const AUTOMATIONS_LOGGER = Symbol('AUTOMATIONS_LOGGER');

/**
 * The consumer that evaluates changed users, the periodic jobs (re-evaluations, new-hire sweep), and a relay for the
 * commands they write (the same relay name as the gateway's: one of them publishes at a time). Stops the consumer
 * first, then the jobs, then the relay, so written commands are published or left in the outbox.
 */
@Injectable()
export class AutomationsRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private consumer?: ChangeConsumer;
  private jobs?: AutomationJobs;
  private relay?: KafkaOutboxRelay;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(AutomationsConfig) private readonly config: AutomationsConfig,
    @Inject(AUTOMATIONS_LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const config = this.config;
    const relay = new KafkaOutboxRelay({
      dataSource: this.dataSource,
      name: 'provisioning-commands',
      topics: [TOPICS.provisioningCommands],
      brokers: kafkaBrokerList(config),
      clientId: 'kb4-automations',
      databaseUrl: config.DATABASE_URL,
      pollIntervalMs: 200,
      logger: this.logger,
    });
    this.relay = relay;
    relay.start();
    const state = new AutomationStateRepository(this.dataSource);
    const rules = new AutomationConfigRepository(this.dataSource);
    const engine = new AutomationEngine(
      rules,
      state,
      { flapLimit: config.AUTOMATIONS_FLAP_LIMIT, flapWindowSeconds: config.AUTOMATIONS_FLAP_WINDOW_SECONDS },
      this.logger,
      () => relay.nudge(),
    );
    this.jobs = new AutomationJobs(state, engine, config.AUTOMATIONS_POLL_INTERVAL_MS, this.logger);
    this.jobs.start();
    this.consumer = new ChangeConsumer(
      createKafka(kafkaBrokerList(config), 'kb4-automations'),
      engine,
      state,
      rules,
      {
        groupId: config.AUTOMATIONS_CONSUMER_GROUP,
        sessionTimeoutMs: config.AUTOMATIONS_SESSION_TIMEOUT_MS,
        heartbeatIntervalMs: config.AUTOMATIONS_HEARTBEAT_INTERVAL_MS,
        maxWaitTimeMs: config.AUTOMATIONS_MAX_WAIT_MS,
      },
      this.logger,
    );
    await this.consumer.start();
    this.logger.info({ group: config.AUTOMATIONS_CONSUMER_GROUP }, 'automations running');
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
    await this.jobs?.stop();
    await this.relay?.stop();
  }

  readiness(): ReadinessCheck {
    return {
      name: 'changes-consumer',
      check: async () => {
        if (!this.consumer?.isJoined) throw new Error('not yet a member of the consumer group');
      },
    };
  }
}
