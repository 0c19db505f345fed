import { Kafka, logLevel, Message, Partitioners, Producer } from 'kafkajs';
import { CloudEventEnvelope, toKafkaMessage } from '@kb4/contracts';

/** One Kafka client per process; kafkajs' own logging stays quiet (our logs say what matters). */
export function createKafka(brokers: string[], clientId: string): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 200 } });
}

/**
 * acks -1 and no idempotence: the embedded broker supports neither idempotent producers nor transactions,
 * so ordering per key comes from publishing one batch at a time (see OutboxRelay).
 */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: false,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: true,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}

/** What the outbox hands to a publisher: one row, already a CloudEvent. */
export interface PublishableEvent {
  topic: string;
  key: string;
  event: CloudEventEnvelope<unknown>;
}

/**
 * Turns outbox rows into kafkajs messages (CloudEvents structured mode + ce_* headers) and sends them with
 * acks -1; resolves only when every message of the batch is acknowledged.
 */
export function kafkaPublisher(producer: Producer): (batch: readonly PublishableEvent[]) => Promise<void> {
  return async (batch) => {
    if (batch.length === 0) return;
    const byTopic = new Map<string, Message[]>();
    for (const row of batch) {
      const message = toKafkaMessage(row.event, row.key);
      let messages = byTopic.get(row.topic);
      if (!messages) byTopic.set(row.topic, (messages = []));
      messages.push({ key: message.key, value: message.value, headers: message.headers });
    }
    await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
  };
}
