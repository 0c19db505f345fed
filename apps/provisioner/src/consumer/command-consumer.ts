import { TOPICS } from '@kb4/contracts';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { CommandMessage, ShutdownInterruption } from '../commands/command-processor';
import { BatchProgress, KeyedWorkQueue, PredecessorFailedError } from './keyed-work-queue';

/** Applies one command message; throws only when its outcome could not be recorded (left for redelivery). */
export type CommandHandler = (message: CommandMessage, signal: AbortSignal) => Promise<void>;

export interface CommandConsumerOptions {
  groupId: string;
  concurrency: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxWaitTimeMs: number;
  topic?: string;
}

/**
 * The consumer group on `knowbe4.provisioning.commands`. Each fetched batch is split by message key: one key
 * (one user or group) is applied in offset order, different keys concurrently up to `concurrency` across all
 * partitions. Offsets are committed only over a finished prefix, so a kill redelivers unfinished commands and
 * never skips one; a handler never throws for a bad command (bounded attempts, then the DLQ).
 */
export class CommandConsumer {
  private consumer?: Consumer;
  private readonly queue: KeyedWorkQueue;
  private readonly stopping = new AbortController();
  private joined = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly handle: CommandHandler,
    private readonly options: CommandConsumerOptions,
    private readonly logger: Logger,
  ) {
    this.queue = new KeyedWorkQueue(options.concurrency);
  }

  /** True once the consumer has joined its group (readiness). */
  get isJoined(): boolean {
    return this.joined;
  }

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: this.options.sessionTimeoutMs,
      heartbeatInterval: this.options.heartbeatIntervalMs,
      maxWaitTimeInMs: this.options.maxWaitTimeMs,
      // kafkajs restarts a crashed runner; our handler only throws for infrastructure failures (database down).
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.joined = true;
    });
    consumer.on(consumer.events.CRASH, (event) => {
      this.logger.error({ err: event.payload.error, restart: event.payload.restart }, 'command consumer crashed');
    });
    await consumer.connect();
    // A new group starts at the beginning: a command published before the first provisioner ever ran is not lost.
    await consumer.subscribe({ topic: this.options.topic ?? TOPICS.provisioningCommands, fromBeginning: true });
    await consumer.run({
      autoCommit: true,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 64,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  /** Stops taking new commands, lets the ones in flight finish and be recorded, then leaves the group. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    const progress = new BatchProgress(batch.messages.map((message) => message.offset));
    const beat = setInterval(() => void payload.heartbeat().catch(() => undefined), Math.max(500, this.options.heartbeatIntervalMs));
    try {
      const settled = await Promise.allSettled(
        batch.messages.map((message) =>
          this.queue.run(message.key?.toString() ?? `${batch.partition}:${message.offset}`, async () => {
            if (!payload.isRunning() || payload.isStale() || this.stopping.signal.aborted) throw new ShutdownInterruption();
            await this.handle(
              { topic: batch.topic, partition: batch.partition, offset: message.offset, key: message.key, value: message.value, headers: message.headers },
              this.stopping.signal,
            );
            const committable = progress.complete(message.offset);
            if (committable !== undefined) payload.resolveOffset(committable);
          }),
        ),
      );
      const failure = settled.find(
        (result): result is PromiseRejectedResult =>
          result.status === 'rejected' &&
          !(result.reason instanceof ShutdownInterruption) &&
          !(result.reason instanceof PredecessorFailedError),
      );
      await payload.commitOffsetsIfNecessary().catch((error: unknown) => this.logger.warn({ err: error }, 'offset commit failed; commands will be redelivered'));
      // Only an infrastructure failure gets here; throwing makes kafkajs refetch from the last committed offset.
      if (failure) throw failure.reason;
    } finally {
      clearInterval(beat);
    }
  }
}
