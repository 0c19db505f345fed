import { OutboxRelay } from '@kb4/persistence';
import type { Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import { metricsRegistry } from '../metrics/metrics';
import { coalescedNudge } from './coalesced-nudge';
import { createKafka, createProducer, kafkaPublisher } from './kafka';

const published = new Counter({
  name: 'kb4_outbox_published_total',
  help: 'Outbox rows published to Kafka, by relay and topic',
  labelNames: ['relay', 'topic'],
  registers: [metricsRegistry],
});
const publishFailures = new Counter({
  name: 'kb4_outbox_publish_failures_total',
  help: 'Failed outbox publish attempts, by relay',
  labelNames: ['relay'],
  registers: [metricsRegistry],
});
const pending = new Gauge({ name: 'kb4_outbox_pending', help: 'Unpublished outbox rows of this relay', labelNames: ['relay'], registers: [metricsRegistry] });
const lagSeconds = new Gauge({
  name: 'kb4_outbox_lag_seconds',
  help: 'Age of the oldest unpublished outbox row of this relay',
  labelNames: ['relay'],
  registers: [metricsRegistry],
});

export interface KafkaOutboxRelayOptions {
  dataSource: DataSource;
  /** One relay of a name publishes at a time across all processes (advisory lock). */
  name: string;
  topics: string[];
  brokers: string[];
  clientId: string;
  databaseUrl: string;
  logger: Logger;
  batchSize?: number;
  pollIntervalMs?: number;
  /** Nudges within this window fold into one wake-up, so a busy writer's rows go out as batches (default 5 ms). */
  nudgeLingerMs?: number;
}

/**
 * An outbox relay that publishes to Kafka. The producer connects on first use and reconnects after a failed
 * publish, so a process boots and serves while the broker is away; the rows simply wait in the outbox.
 */
export class KafkaOutboxRelay {
  private readonly producer: Producer;
  private readonly relay: OutboxRelay;
  private connected = false;
  private readonly wake: ReturnType<typeof coalescedNudge>;

  constructor(private readonly options: KafkaOutboxRelayOptions) {
    this.producer = createProducer(createKafka(options.brokers, options.clientId));
    const publish = kafkaPublisher(this.producer);
    const log = options.logger.child({ component: 'outbox-relay', relay: options.name });
    this.relay = new OutboxRelay(options.dataSource, {
      name: options.name,
      topics: options.topics,
      databaseUrl: options.databaseUrl,
      batchSize: options.batchSize,
      pollIntervalMs: options.pollIntervalMs,
      publish: async (batch) => {
        if (!this.connected) {
          await this.producer.connect();
          this.connected = true;
        }
        try {
          await publish(batch);
        } catch (error) {
          // a fresh connection on the next attempt; kafkajs does not always recover a broken one by itself
          this.connected = false;
          await this.producer.disconnect().catch(() => undefined);
          throw error;
        }
      },
      onPublished: (rows) => {
        for (const row of rows) published.inc({ relay: options.name, topic: row.topic });
      },
      onError: (error, context) => {
        if (context.phase === 'publish') publishFailures.inc({ relay: options.name });
        log.warn({ err: error, ...context }, 'outbox relay failed; retrying from the same row');
      },
    });
    this.wake = coalescedNudge(() => this.relay.nudge(), options.nudgeLingerMs ?? 5);
  }

  start(): void {
    this.relay.start();
  }

  /** Wakes the relay right after a commit that enqueued rows, so they do not wait for the next poll. */
  nudge(): void {
    this.wake.nudge();
  }

  get isLeader(): boolean {
    return this.relay.isLeader;
  }

  /** Publishes everything pending now; for tests and benchmarks. */
  drain(): Promise<number> {
    return this.relay.drain();
  }

  async refreshLagMetrics(): Promise<void> {
    const lag = await this.relay.lag();
    pending.set({ relay: this.options.name }, lag.pending);
    lagSeconds.set({ relay: this.options.name }, lag.oldestPendingSeconds);
  }

  /** Finishes the batch in flight, releases the lock, disconnects. */
  async stop(): Promise<void> {
    this.wake.cancel();
    await this.relay.stop();
    if (this.connected) await this.producer.disconnect().catch(() => undefined);
    this.connected = false;
  }
}
