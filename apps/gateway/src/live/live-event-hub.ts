import { randomUUID } from 'node:crypto';
import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { fromKafkaMessage, TOPICS } from '@kb4/contracts';
import { IntegratedAccountRepository } from '@kb4/persistence';
import { createKafka, createLogger, kafkaBrokerList } from '@kb4/platform';
import type { Consumer, EachMessagePayload } from 'kafkajs';
import { GatewayConfig } from '../config/gateway.config';
import { liveChangeOf, type LiveChange } from './live-change';
import { LiveFanout, type LiveSubscriber } from './live-fanout';

/** The topics a console follows: runs and operation outcomes (directory events are summarised by their sync run). */
export const LIVE_TOPICS = [TOPICS.syncRuns, TOPICS.rosterRuns, TOPICS.provisioningResults] as const;

export type { LiveSubscriber } from './live-fanout';

/**
 * ONE Kafka consumer per gateway process, however many consoles listen: a group of its own (every replica sees every
 * event), started with the first subscriber, reading only what is new. Each event goes to the subscribers of the
 * workspace that owns its account, and to no one else.
 */
@Injectable()
export class LiveEventHub implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger;
  private readonly fanout: LiveFanout;
  private consumer?: Consumer;
  private joined?: Promise<void>;
  private stopped = false;
  private restartTimer?: NodeJS.Timeout;

  constructor(
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
    @Inject(IntegratedAccountRepository) private readonly accounts: IntegratedAccountRepository,
  ) {
    this.logger = createLogger('gateway', config.LOG_LEVEL).child({ component: 'live-events' });
    this.fanout = new LiveFanout(async (accountId) => (await this.accounts.findById(accountId))?.workspaceId ?? null);
  }

  /** Adds a subscriber of a workspace; resolves once the consumer has joined (events from then on reach it). */
  subscribe(workspaceId: string, subscriber: LiveSubscriber): { joined: Promise<void>; unsubscribe: () => void } {
    const unsubscribe = this.fanout.add(workspaceId, subscriber);
    return { joined: this.ensureConsumer(), unsubscribe };
  }

  beforeApplicationShutdown(): void {
    this.stopped = true;
    this.fanout.closeAll();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.disconnect().catch(() => undefined);
  }

  private ensureConsumer(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('the gateway is stopping'));
    this.joined ??= this.startConsumer().catch((error: unknown) => {
      this.joined = undefined;
      this.logger.error({ err: error }, 'live events: the consumer did not start');
      throw error;
    });
    return this.joined;
  }

  private async startConsumer(): Promise<void> {
    const kafka = createKafka(kafkaBrokerList(this.config), 'kb4-gateway-live');
    const consumer = kafka.consumer({ groupId: `kb4-gateway-live-${randomUUID()}`, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 250 });
    this.consumer = consumer;
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart || this.consumer !== consumer) return;
      this.logger.warn({ err: event.payload.error }, 'live events: the consumer gave up; starting a fresh one');
      this.consumer = undefined;
      this.joined = undefined;
      void consumer.disconnect().catch(() => undefined);
      if (!this.stopped && this.fanout.size > 0) this.restartTimer = setTimeout(() => void this.ensureConsumer().catch(() => undefined), 2_000);
    });
    await consumer.connect();
    for (const topic of LIVE_TOPICS) await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({ autoCommit: true, eachMessage: (payload) => this.take(payload) });
    await joined;
    this.logger.info({ topics: LIVE_TOPICS }, 'live events: consuming');
  }

  private async take({ message }: EachMessagePayload): Promise<void> {
    if (this.fanout.size === 0) return;
    let change: LiveChange | null;
    try {
      change = liveChangeOf(fromKafkaMessage(message).event);
    } catch {
      return; // not a CloudEvent: nothing a console could show
    }
    if (change) await this.fanout.deliver(change);
  }
}
