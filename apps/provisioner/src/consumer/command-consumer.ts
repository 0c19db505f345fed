import { TOPICS } from '@kb4/contracts';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { CommandMessage, ShutdownInterruption } from '../commands/command-processor';
import { KeyedWorkQueue, PredecessorFailedError } from './keyed-work-queue';
import { PartitionProgress } from './partition-progress';

/** Applies one command message; throws only when its outcome could not be recorded (left for redelivery). */
export type CommandHandler = (message: CommandMessage, signal: AbortSignal) => Promise<void>;

export interface CommandConsumerOptions {
  groupId: string;
  concurrency: number;
  /** Commands taken from Kafka and not yet finished, across partitions; above it partitions are paused. */
  maxBuffered?: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxWaitTimeMs: number;
  /** Pause before a partition whose command hit an infrastructure failure is read again from that command. */
  rewindDelayMs?: number;
  /** Finished offsets are committed at most this often (and on stop); a crash redelivers at most this much. */
  commitIntervalMs?: number;
  topic?: string;
}

interface TopicPartition {
  topic: string;
  partition: number;
}

interface PendingCommit extends TopicPartition {
  offset: string;
  progress: PartitionProgress;
}

// A task that did not run (stopping, or its partition was revoked or rewound): neither finished nor failed.
const SKIPPED = Symbol('skipped');

const idOf = (topic: string, partition: number): string => `${topic}:${partition}`;

/**
 * The consumer group on `knowbe4.provisioning.commands`. `eachBatch` only takes messages into work and returns,
 * so kafkajs keeps fetching while commands are in flight; the keyed work queue applies one key (one user or
 * group) in offset order and different keys concurrently up to `concurrency`. Offsets are committed per
 * partition only up to the longest finished prefix, so a kill or a rebalance redelivers unfinished commands and
 * never skips one (processed commands are recognised and skipped). Too much taken work pauses partitions; a
 * rejoin abandons the old assignment's progress; an infrastructure failure rewinds its partition.
 */
export class CommandConsumer {
  private consumer?: Consumer;
  private readonly queue: KeyedWorkQueue;
  private readonly stopping = new AbortController();
  private readonly maxBuffered: number;
  private readonly progress = new Map<string, PartitionProgress>();
  private readonly pausedForBackpressure = new Map<string, TopicPartition>();
  private readonly rewinding = new Set<string>();
  private readonly pendingCommits = new Map<string, PendingCommit>();
  private readonly inFlight = new Set<Promise<void>>();
  private committing?: Promise<void>;
  private commitTimer?: NodeJS.Timeout;
  private buffered = 0;
  private joined = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly handle: CommandHandler,
    private readonly options: CommandConsumerOptions,
    private readonly logger: Logger,
  ) {
    this.queue = new KeyedWorkQueue(options.concurrency);
    this.maxBuffered = Math.max(options.concurrency, options.maxBuffered ?? options.concurrency * 8);
  }

  /** True once the consumer has joined its group (readiness). */
  get isJoined(): boolean {
    return this.joined;
  }

  /** Commands taken from Kafka and not yet settled (tests, metrics). */
  get bufferedCount(): number {
    return this.buffered;
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
    consumer.on(consumer.events.REBALANCING, () => this.logger.info({ group: this.options.groupId }, 'consumer group rebalancing'));
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.logger.info({ group: this.options.groupId, assignment: event.payload.memberAssignment }, 'joined the consumer group');
      this.joined = true;
      this.onAssignment(event.payload.memberAssignment);
    });
    consumer.on(consumer.events.CRASH, (event) => {
      this.logger.error({ err: event.payload.error, restart: event.payload.restart }, 'command consumer crashed');
    });
    await consumer.connect();
    // A new group starts at the beginning: a command published before the first provisioner ever ran is not lost.
    await consumer.subscribe({ topic: this.options.topic ?? TOPICS.provisioningCommands, fromBeginning: true });
    await consumer.run({
      // Resolving an offset only moves the fetch position; commits are ours, over finished prefixes only.
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 64,
      eachBatch: async (payload) => this.take(payload),
    });
  }

  /** Stops taking commands, lets those in flight finish and be recorded, commits their offsets, leaves the group. */
  async stop(): Promise<void> {
    this.stopping.abort();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    await this.flushCommits();
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }

  private take(payload: EachBatchPayload): void {
    const { batch } = payload;
    if (this.stopping.signal.aborted || !payload.isRunning() || payload.isStale()) return;
    const id = idOf(batch.topic, batch.partition);
    let progress = this.progress.get(id);
    if (!progress) {
      progress = new PartitionProgress();
      this.progress.set(id, progress);
    }
    if (progress.abandoned) return;
    for (const message of batch.messages) {
      if (this.buffered >= this.maxBuffered) {
        // The rest is fetched again from the resolved offset once the partition is resumed.
        this.pauseForBackpressure(batch.topic, batch.partition);
        return;
      }
      if (!progress.take(message.offset)) continue;
      payload.resolveOffset(message.offset);
      this.dispatch(batch.topic, batch.partition, progress, message);
    }
  }

  private dispatch(topic: string, partition: number, progress: PartitionProgress, message: KafkaMessage): void {
    this.buffered += 1;
    const key = message.key?.toString() ?? `${topic}:${partition}:${message.offset}`;
    const work = this.queue
      .run(key, async () => {
        if (progress.abandoned || this.stopping.signal.aborted) return SKIPPED;
        try {
          await this.handle({ topic, partition, offset: message.offset, key: message.key, value: message.value, headers: message.headers }, this.stopping.signal);
        } catch (error) {
          if (error instanceof ShutdownInterruption) return SKIPPED;
          throw error;
        }
        return undefined;
      })
      .then(
        (outcome) => {
          if (outcome === SKIPPED) return;
          const next = progress.complete(message.offset);
          if (next !== undefined) this.scheduleCommit({ topic, partition, offset: next, progress });
        },
        (error: unknown) => {
          // A predecessor of the same key failed: its partition is being rewound, which redelivers this one too.
          if (error instanceof PredecessorFailedError) return;
          this.logger.error({ err: error, topic, partition, offset: message.offset }, 'command outcome not recorded; rewinding its partition');
          this.rewind(topic, partition, progress);
        },
      )
      .finally(() => {
        this.buffered -= 1;
        this.inFlight.delete(work);
        this.resumeIfDrained();
      });
    this.inFlight.add(work);
  }

  /** A (re)join: every earlier assignment's progress is abandoned; Kafka redelivers from the committed offsets. */
  private onAssignment(assignment: Record<string, number[]>): void {
    const retained = new Set(Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((p) => idOf(topic, p))));
    for (const [id, progress] of this.progress) {
      progress.abandoned = true;
      if (!retained.has(id) && progress.unfinished > 0) {
        this.logger.info({ partition: id, in_flight: progress.unfinished }, 'partition revoked; its unfinished commands are left to the new owner');
      }
    }
    this.progress.clear();
    this.pendingCommits.clear();
    // A pending rewind is moot (the new assignment starts at the committed offset); its pause must not outlive it.
    for (const id of this.rewinding) {
      const separator = id.lastIndexOf(':');
      if (!this.pausedForBackpressure.has(id)) this.consumer?.resume([{ topic: id.slice(0, separator), partitions: [Number(id.slice(separator + 1))] }]);
    }
    this.rewinding.clear();
  }

  /**
   * An infrastructure failure (e.g. the database went away) on one command: stop committing this partition,
   * and after a pause read it again from its first unfinished command; finished ones are recognised as processed.
   */
  private rewind(topic: string, partition: number, progress: PartitionProgress): void {
    const from = progress.firstUnfinished;
    const id = idOf(topic, partition);
    if (progress.abandoned || from === undefined || this.progress.get(id) !== progress) return;
    progress.abandoned = true;
    this.rewinding.add(id);
    this.consumer?.pause([{ topic, partitions: [partition] }]);
    setTimeout(() => {
      if (this.progress.get(id) !== progress || this.stopping.signal.aborted || !this.consumer) return;
      this.progress.set(id, new PartitionProgress());
      this.rewinding.delete(id);
      this.consumer.seek({ topic, partition, offset: from });
      if (!this.pausedForBackpressure.has(id)) this.consumer.resume([{ topic, partitions: [partition] }]);
    }, this.options.rewindDelayMs ?? 1_000).unref();
  }

  private pauseForBackpressure(topic: string, partition: number): void {
    const id = idOf(topic, partition);
    if (this.pausedForBackpressure.has(id)) return;
    this.pausedForBackpressure.set(id, { topic, partition });
    this.consumer?.pause([{ topic, partitions: [partition] }]);
  }

  private resumeIfDrained(): void {
    if (this.pausedForBackpressure.size === 0 || this.buffered > this.maxBuffered / 2 || !this.consumer) return;
    for (const [id, { topic, partition }] of this.pausedForBackpressure) {
      if (!this.rewinding.has(id)) this.consumer.resume([{ topic, partitions: [partition] }]);
    }
    this.pausedForBackpressure.clear();
  }

  private scheduleCommit(commit: PendingCommit): void {
    this.pendingCommits.set(idOf(commit.topic, commit.partition), commit);
    if (this.commitTimer || this.committing) return;
    // One commit request per interval; completions meanwhile fold into it (redeliveries are recognised anyway).
    this.commitTimer = setTimeout(() => {
      this.commitTimer = undefined;
      this.committing = this.flushCommits().finally(() => {
        this.committing = undefined;
        if (this.pendingCommits.size > 0) this.scheduleCommit([...this.pendingCommits.values()][0]);
      });
    }, this.options.commitIntervalMs ?? 100);
  }

  private async flushCommits(): Promise<void> {
    await this.committing;
    while (this.pendingCommits.size > 0 && this.consumer) {
      const offsets = [...this.pendingCommits.values()].filter((commit) => !commit.progress.abandoned);
      this.pendingCommits.clear();
      if (offsets.length === 0) continue;
      try {
        await this.consumer.commitOffsets(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
      } catch (error) {
        // Not fatal: the next commit covers these offsets, and a redelivery is recognised as processed.
        this.logger.warn({ err: error }, 'offset commit failed; finished commands may be redelivered');
      }
    }
  }
}
