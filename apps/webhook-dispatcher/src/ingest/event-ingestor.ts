import { fromKafkaMessage, InvalidCloudEventMessageError, type CloudEventEnvelope, type IncomingKafkaMessage } from '@kb4/contracts';
import { WebhookDeliveryRepository, type WebhookEventToStore } from '@kb4/persistence';
import type { Logger } from 'pino';
import { DataSource, EntityManager } from 'typeorm';
import { mapKafkaEvent, webhookBody } from '../events/webhook-event-mapping';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ConsumedMessage extends IncomingKafkaMessage {
  topic: string;
  partition: number;
  offset: string;
  /** Producer's timestamp in ms (kafkajs gives it as a string). */
  timestamp: string;
}

/**
 * Turns consumed Kafka messages into stored webhook deliveries, all messages of one call in one transaction: when it
 * commits, the caller may commit their offsets. A message that is not a CloudEvent, or names no account, is skipped.
 */
export class EventIngestor {
  private readonly deliveries: WebhookDeliveryRepository;

  constructor(
    private readonly dataSource: DataSource,
    private readonly logger: Logger,
  ) {
    this.deliveries = new WebhookDeliveryRepository(dataSource);
  }

  /** Returns how many deliveries were stored. */
  async ingest(messages: readonly ConsumedMessage[]): Promise<number> {
    const readable = messages.flatMap((message) => this.read(message));
    if (readable.length === 0) return 0;
    return this.dataSource.transaction(async (manager) => {
      let stored = 0;
      for (const { message, event, accountId } of readable) stored += await this.store(manager, message, event, accountId);
      return stored;
    });
  }

  private read(message: ConsumedMessage): Array<{ message: ConsumedMessage; event: CloudEventEnvelope<unknown>; accountId: string }> {
    try {
      const { event } = fromKafkaMessage(message);
      const accountId = (event.data as { integrated_account_id?: unknown } | null)?.integrated_account_id;
      if (typeof accountId !== 'string' || !UUID.test(accountId)) return [];
      return [{ message, event, accountId }];
    } catch (error) {
      if (!(error instanceof InvalidCloudEventMessageError)) throw error;
      this.logger.warn({ topic: message.topic, partition: message.partition, offset: message.offset, reason: error.message }, 'skipped a message that is not a CloudEvent');
      return [];
    }
  }

  private async store(manager: EntityManager, message: ConsumedMessage, event: CloudEventEnvelope<unknown>, accountId: string): Promise<number> {
    const mapping = mapKafkaEvent(event);
    const recordKey = message.key ? message.key.toString() : `${message.topic}:${event.subject ?? event.id}`;
    const producedAt = new Date(Number(message.timestamp));
    const toStore: WebhookEventToStore[] = mapping.events.map(({ type, resource }) => ({
      eventType: type,
      eventId: event.id,
      recordKey,
      integratedAccountId: accountId,
      producedAt,
      payload: webhookBody(type, event, accountId, resource),
    }));
    // integrated_account:* only on a change of the account's state; keyed by the account so they stay in order
    if (mapping.authentication === 'failed' && (await this.deliveries.markAuthenticationFailed(manager, accountId))) {
      toStore.push({ eventType: 'integrated_account:authentication_error', eventId: event.id, recordKey: accountId, integratedAccountId: accountId, producedAt, payload: webhookBody('integrated_account:authentication_error', event, accountId) });
    }
    if (mapping.authentication === 'working' && (await this.deliveries.markAuthenticationWorking(manager, accountId))) {
      toStore.push({ eventType: 'integrated_account:reactivated', eventId: event.id, recordKey: accountId, integratedAccountId: accountId, producedAt, payload: webhookBody('integrated_account:reactivated', event, accountId) });
    }
    let stored = 0;
    for (const item of toStore) stored += await this.deliveries.storeDeliveries(manager, item);
    return stored;
  }
}
