import { randomBytes } from 'node:crypto';
import { startEmbeddedKafka } from '../../scripts/local-stack/embedded-kafka';
import { createThrowawayDatabase } from './throwaway-database';

/**
 * One throwaway Postgres database and one Kafka-protocol broker per `npm test` run.
 * KAFKA_BROKERS / TEST_DATABASE_ADMIN_URL may point the run at real ones instead.
 */
export default async function globalSetup(): Promise<void> {
  const runId = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  process.env.KB4_TEST_RUN_ID = runId;
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  const database = await createThrowawayDatabase(`kb4_test_${runId}`);
  process.env.DATABASE_URL = database.url;
  (globalThis as Record<string, unknown>).__KB4_TEST_DATABASE__ = database;
  if (!process.env.KAFKA_BROKERS) {
    const kafka = await startEmbeddedKafka();
    process.env.KAFKA_BROKERS = kafka.brokers;
    (globalThis as Record<string, unknown>).__KB4_TEST_KAFKA__ = kafka;
  }
}
