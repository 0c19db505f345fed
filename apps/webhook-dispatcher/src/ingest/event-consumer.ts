import { TOPICS } from '@kb4/contracts';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { ConsumedMessage, EventIngestor } from './event-ingestor';

/** The topics whose events become webhook events. */
export const WEBHOOK_SOURCE_TOPICS = [TOPICS.directoryEvents, TOPICS.syncRuns, TOPICS.provisioningResults, TOPICS.rosterRuns] as const;

export interface EventConsumerOptions {
  groupId: string;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxWaitTimeMs: number;
  /** Messages stored per transaction (and committed per offset commit). */
  chunkSize?: number;
  topics?: readonly string[];
}

/**
 * The dispatcher's consumer group. At least once: a batch's deliveries are stored in one transaction, and only then
 * is its offset committed — a crash in between re-reads the batch, and the stored deliveries de-duplicate it.
 * A consumer kafkajs gave up on (e.g. a refused SyncGroup) is replaced by a fresh one.
 */
export class EventConsumer {
  private consumer?: Consumer;
  private stopping = false;
  private joined = false;
  private restartTimer?: NodeJS.Timeout;
  private restartDelayMs = 1_000;

  constructor(
    private readonly kafka: Kafka,
    private readonly ingestor: EventIngestor,
    private readonly options: EventConsumerOptions,
    private readonly logger: Logger,
    private readonly onStored: (count: number) => void,
  ) {}

  get isJoined(): boolean {
    return this.joined;
  }

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: this.options.sessionTimeoutMs,
      heartbeatInterval: this.options.heartbeatIntervalMs,
      maxWaitTimeInMs: this.options.maxWaitTimeMs,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.joined = true;
      this.restartDelayMs = 1_000;
      this.logger.info({ group: this.options.groupId, assignment: event.payload.memberAssignment }, 'joined the consumer group');
    });
    consumer.on(consumer.events.CRASH, (event) => {
      this.joined = false;
      this.logger.error({ err: event.payload.error, restart: event.payload.restart }, 'event consumer crashed');
      if (!event.payload.restart) this.scheduleRestart(consumer);
    });
    await consumer.connect();
    // A new group starts at the beginning; a webhook only receives events produced after it was created anyway.
    for (const topic of this.options.topics ?? WEBHOOK_SOURCE_TOPICS) await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.take(payload) });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const consumer = this.consumer;
    this.consumer = undefined;
    this.joined = false;
    await consumer?.disconnect().catch(() => undefined);
  }

  private async take(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const chunkSize = this.options.chunkSize ?? 500;
    for (let start = 0; start < batch.messages.length; start += chunkSize) {
      if (this.stopping || !payload.isRunning() || payload.isStale()) return;
      const chunk = batch.messages.slice(start, start + chunkSize);
      const messages: ConsumedMessage[] = chunk.map((message) => ({ ...message, topic: batch.topic, partition: batch.partition }));
      // Throws when Postgres is unreachable: kafkajs retries the batch from the last committed offset.
      const stored = await this.ingestor.ingest(messages);
      const last = chunk[chunk.length - 1].offset;
      payload.resolveOffset(last);
      await this.consumer?.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
      await payload.heartbeat();
      if (stored > 0) this.onStored(stored);
    }
  }

  private scheduleRestart(crashed: Consumer): void {
    if (this.stopping || this.consumer !== crashed) return;
    const delayMs = this.restartDelayMs;
    this.restartDelayMs = Math.min(delayMs * 2, 30_000);
    this.logger.warn({ delay_ms: delayMs }, 'event consumer gave up; starting a fresh one');
    this.restartTimer = setTimeout(() => {
      if (this.stopping || this.consumer !== crashed) return;
      void crashed.disconnect().catch(() => undefined);
      this.start().catch((error: unknown) => {
        this.logger.error({ err: error }, 'event consumer could not be started again');
        if (this.consumer) this.scheduleRestart(this.consumer);
      });
    }, delayMs);
  }
}
