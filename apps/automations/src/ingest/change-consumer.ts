import { fromKafkaMessage, InvalidCloudEventMessageError, TOPICS } from '@kb4/contracts';
import type { AutomationConfigRepository, AutomationStateRepository } from '@kb4/persistence';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import type { AutomationEngine } from '../engine/automation-engine';
import { triggerOf } from '../engine/triggers';

/** Directory events (poller) and provisioning results (our writes reach the mirror without a directory event). */
export const AUTOMATION_SOURCE_TOPICS = [TOPICS.directoryEvents, TOPICS.provisioningResults] as const;

export interface ChangeConsumerOptions {
  groupId: string;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxWaitTimeMs: number;
}

/**
 * The automations consumer group. At least once: a message's commands are stored (and its event id marked) before its
 * offset is committed; a redelivered event id is skipped. A failing message (Postgres down) makes kafkajs retry the
 * batch from the last committed offset; a message that is not a CloudEvent is logged and skipped.
 */
export class ChangeConsumer {
  private consumer?: Consumer;
  private joined = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly engine: AutomationEngine,
    private readonly state: AutomationStateRepository,
    private readonly config: AutomationConfigRepository,
    private readonly options: ChangeConsumerOptions,
    private readonly logger: Logger,
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
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.joined = true;
    });
    consumer.on(consumer.events.CRASH, (event) => {
      this.joined = false;
      this.logger.error({ err: event.payload.error, restart: event.payload.restart }, 'automations consumer crashed');
    });
    await consumer.connect();
    // a new group starts with what is produced from now on: automations act on changes, a rule change re-evaluates everyone
    for (const topic of AUTOMATION_SOURCE_TOPICS) await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.take(payload) });
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    this.joined = false;
    await consumer?.disconnect().catch(() => undefined);
  }

  private async take(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    for (const message of batch.messages) {
      if (!payload.isRunning() || payload.isStale()) return;
      await this.handle(batch.topic, message);
      payload.resolveOffset(message.offset);
      await this.consumer?.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(message.offset) + 1n).toString() }]);
      await payload.heartbeat();
    }
  }

  private async handle(topic: string, message: KafkaMessage): Promise<void> {
    let event;
    try {
      event = fromKafkaMessage(message).event;
    } catch (error) {
      if (!(error instanceof InvalidCloudEventMessageError)) throw error;
      this.logger.warn({ topic, offset: message.offset, reason: error.message }, 'skipped a message that is not a CloudEvent');
      return;
    }
    const trigger = triggerOf(event);
    if (trigger.kind === 'none' || (await this.state.isProcessed(event.id))) return;
    try {
      if (trigger.kind === 'account') await this.config.requestReevaluation(trigger.accountId);
      else {
        const newHire = trigger.newHire || (trigger.reactivatedBy !== undefined && (await this.state.operationSetsActive(trigger.reactivatedBy)));
        await this.engine.evaluateUserById(trigger.accountId, trigger.userId, newHire);
      }
    } catch (error) {
      // 23503: the account was deleted meanwhile; anything else (Postgres down) is retried from the committed offset
      if ((error as { code?: unknown }).code !== '23503') throw error;
      this.logger.info({ account: trigger.accountId }, 'skipped an event of a deleted account');
    }
    await this.state.markProcessed(event.id);
  }
}
