import { TOPICS } from '@kb4/contracts';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { CommandMessage, ShutdownInterruption } from '../commands/command-processor';
import { KeyedWorkQueue, PredecessorFailedError } from './keyed-work-queue';
import { PartitionProgress } from './partition-progress';

/**
 * Applies one command message; throws only when its outcome could not be recorded (left for redelivery).
 * `stopping` aborts when shutdown begins (no new attempt starts); `abortCalls` when its grace is over (the SCIM call
 * in flight is cut off and the command is left unrecorded, for redelivery).
 */
export type CommandHandler = (message: CommandMessage, stopping: AbortSignal, abortCalls: AbortSignal) => Promise<void>;

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
  /** First pause before a consumer kafkajs gave up on is started again (doubling up to 30 s while it keeps failing). */
  restartDelayMs?: number;
  /** On stop: how long commands in flight may still finish before their SCIM calls are aborted (default 3 s). */
  shutdownGraceMs?: number;
  /** On stop: the longest wait for the last offset commit and for kafkajs to leave the group (default 2 s each). */
  disconnectTimeoutMs?: number;
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

/** Resolves with the promise's outcome, or with 'timed_out' after `ms` (the promise keeps running, unobserved). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timed_out'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timed_out'>((resolve) => {
    timer = setTimeout(() => resolve('timed_out'), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

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
  private readonly abortCalls = new AbortController();
  private readonly maxBuffered: number;
  private readonly progress = new Map<string, PartitionProgress>();
  /** The partitions of the current assignment (from the last group join). */
  private assigned = new Set<string>();
  private readonly pausedForBackpressure = new Map<string, TopicPartition>();
  private readonly rewinding = new Set<string>();
  private readonly pendingCommits = new Map<string, PendingCommit>();
  private readonly inFlight = new Set<Promise<void>>();
  private committing?: Promise<void>;
  private commitTimer?: NodeJS.Timeout;
  private buffered = 0;
  private joined = false;
  private restartTimer?: NodeJS.Timeout;
  private readonly firstRestartDelayMs: number;
  private restartDelayMs: number;
  private commitsFailing = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly handle: CommandHandler,
    private readonly options: CommandConsumerOptions,
    private readonly logger: Logger,
  ) {
    this.queue = new KeyedWorkQueue(options.concurrency);
    this.maxBuffered = Math.max(options.concurrency, options.maxBuffered ?? options.concurrency * 8);
    this.firstRestartDelayMs = options.restartDelayMs ?? 1_000;
    this.restartDelayMs = this.firstRestartDelayMs;
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
    try {
      await this.run();
    } catch (error) {
      // stop() during the first join disconnects the consumer under run(): not a failure to start
      if (!this.stopping.signal.aborted) throw error;
    }
  }

  private async run(): Promise<void> {
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
      this.restartDelayMs = this.firstRestartDelayMs;
      this.onAssignment(event.payload.memberAssignment);
    });
    consumer.on(consumer.events.CRASH, (event) => {
      // Not a member until kafkajs has joined again: readiness says so.
      this.joined = false;
      this.logger.error({ err: event.payload.error, restart: event.payload.restart }, 'command consumer crashed');
      // kafkajs restarts only after retriable errors; after others (e.g. a refused SyncGroup) it is gone for good.
      if (!event.payload.restart) this.scheduleRestart(consumer);
    });
    this.logger.info({ group: this.options.groupId }, 'joining the consumer group');
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

  /**
   * Stops taking commands, lets those in flight finish and be recorded for a short grace, then aborts their SCIM
   * calls (they stay uncommitted and are redelivered), commits what finished and leaves the group — each step
   * bounded, so SIGTERM ends the process in seconds even with KnowBe4 hanging or kafkajs in the middle of a join.
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    clearTimeout(this.restartTimer);
    const settled = (): Promise<void> => (async () => {
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    })();
    if ((await within(settled(), this.options.shutdownGraceMs ?? 3_000)) === 'timed_out') {
      this.logger.warn({ in_flight: this.inFlight.size }, 'stopped with commands in flight; their SCIM calls are aborted and the commands redelivered');
      this.abortCalls.abort();
      await within(settled(), this.options.disconnectTimeoutMs ?? 2_000);
    }
    clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    const bound = this.options.disconnectTimeoutMs ?? 2_000;
    if ((await within(this.flushCommits(), bound)) === 'timed_out') this.logger.warn('last offset commit did not finish; its commands are redelivered');
    const consumer = this.consumer;
    this.consumer = undefined;
    this.joined = false;
    // On the mock broker kafkajs's LeaveGroup fails and a disconnect during a join waits for the join to end.
    if (consumer && (await within(consumer.disconnect().catch(() => undefined), bound)) === 'timed_out') {
      this.logger.warn('kafkajs did not leave the consumer group in time; the broker drops this member when its session expires');
    }
  }

  private scheduleRestart(crashed: Consumer): void {
    if (this.stopping.signal.aborted || this.consumer !== crashed) return;
    const delayMs = this.restartDelayMs;
    this.restartDelayMs = Math.min(delayMs * 2, 30_000);
    this.logger.warn({ group: this.options.groupId, delay_ms: delayMs }, 'command consumer gave up; starting it again');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping.signal.aborted || this.consumer !== crashed) return;
      // A fresh kafkajs consumer (a new group member); its join abandons what the old assignment had taken.
      this.run().catch((error: unknown) => {
        this.logger.error({ err: error }, 'command consumer could not be started again');
        void this.consumer?.disconnect().catch(() => undefined);
        if (this.consumer) this.scheduleRestart(this.consumer);
      });
    }, delayMs);
  }

  /**
   * pause/resume/seek on the kafkajs consumer; they throw while it is not running (between a crash and its
   * restart). Nothing is lost: the next join starts from the committed offsets and re-pauses what must stay paused.
   */
  private onConsumer(what: string, action: (consumer: Consumer) => void): void {
    if (!this.consumer) return;
    try {
      action(this.consumer);
    } catch (error) {
      this.logger.warn({ err: error }, `could not ${what} while the consumer is not running`);
    }
  }

  private take(payload: EachBatchPayload): void {
    const { batch } = payload;
    if (this.stopping.signal.aborted || !payload.isRunning() || payload.isStale()) return;
    const id = idOf(batch.topic, batch.partition);
    // A fetch that was in flight across a rejoin can deliver a partition that is no longer ours.
    if (!this.assigned.has(id)) return;
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
          await this.handle(
            { topic, partition, offset: message.offset, key: message.key, value: message.value, headers: message.headers },
            this.stopping.signal,
            this.abortCalls.signal,
          );
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
    this.assigned = retained;
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
      if (!this.pausedForBackpressure.has(id)) {
        this.onConsumer('resume', (consumer) => consumer.resume([{ topic: id.slice(0, separator), partitions: [Number(id.slice(separator + 1))] }]));
      }
    }
    this.rewinding.clear();
    // kafkajs forgets pauses when it restarts after a crash; the buffer is still full, so pause them again.
    for (const [id, { topic, partition }] of this.pausedForBackpressure) {
      if (retained.has(id)) this.onConsumer('pause', (consumer) => consumer.pause([{ topic, partitions: [partition] }]));
    }
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
    this.onConsumer('pause', (consumer) => consumer.pause([{ topic, partitions: [partition] }]));
    setTimeout(() => {
      // Not joined: a crash came in between, and the next join starts this partition from its committed offset.
      if (this.progress.get(id) !== progress || this.stopping.signal.aborted || !this.joined) return;
      this.progress.set(id, new PartitionProgress());
      this.rewinding.delete(id);
      this.onConsumer('rewind', (consumer) => {
        consumer.seek({ topic, partition, offset: from });
        if (!this.pausedForBackpressure.has(id)) consumer.resume([{ topic, partitions: [partition] }]);
      });
    }, this.options.rewindDelayMs ?? 1_000).unref();
  }

  private pauseForBackpressure(topic: string, partition: number): void {
    const id = idOf(topic, partition);
    if (this.pausedForBackpressure.has(id)) return;
    this.pausedForBackpressure.set(id, { topic, partition });
    this.onConsumer('pause', (consumer) => consumer.pause([{ topic, partitions: [partition] }]));
  }

  private resumeIfDrained(): void {
    if (this.pausedForBackpressure.size === 0 || this.buffered > this.maxBuffered / 2 || !this.consumer) return;
    for (const [id, { topic, partition }] of this.pausedForBackpressure) {
      if (!this.rewinding.has(id)) this.onConsumer('resume', (consumer) => consumer.resume([{ topic, partitions: [partition] }]));
    }
    this.pausedForBackpressure.clear();
  }

  private scheduleCommit(commit: PendingCommit): void {
    this.pendingCommits.set(idOf(commit.topic, commit.partition), commit);
    // Not a member (crashed, restarting): the next join abandons this progress anyway.
    if (this.commitTimer || this.committing || !this.joined) return;
    // One commit request per interval; completions meanwhile fold into it (redeliveries are recognised anyway).
    this.commitTimer = setTimeout(() => {
      this.commitTimer = undefined;
      this.committing = this.flushCommits().finally(() => {
        this.committing = undefined;
        // While stopping, stop() flushes what is left itself.
        if (this.pendingCommits.size > 0 && !this.stopping.signal.aborted) this.scheduleCommit([...this.pendingCommits.values()][0]);
      });
    }, this.options.commitIntervalMs ?? 100);
  }

  private async flushCommits(): Promise<void> {
    await this.committing;
    while (this.pendingCommits.size > 0 && this.consumer && this.joined) {
      const offsets = [...this.pendingCommits.values()].filter((commit) => !commit.progress.abandoned);
      this.pendingCommits.clear();
      if (offsets.length === 0) continue;
      try {
        await this.consumer.commitOffsets(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
        this.commitsFailing = false;
      } catch (error) {
        // Not fatal (redeliveries are recognised as processed), but a quiet partition would never commit its finished
        // prefix: keep what no later completion superseded for the next round (a rejoin abandons it anyway).
        for (const commit of offsets) {
          const id = idOf(commit.topic, commit.partition);
          if (!commit.progress.abandoned && !this.pendingCommits.has(id)) this.pendingCommits.set(id, commit);
        }
        const partitions = offsets.map(({ partition }) => partition);
        // During a rebalance every round fails until the rejoin: one warning per streak.
        if (this.commitsFailing) this.logger.debug({ err: error, partitions }, 'offset commit failed again');
        else this.logger.warn({ err: error, partitions }, 'offset commit failed; retrying with the next commit');
        this.commitsFailing = true;
        return;
      }
    }
  }
}
