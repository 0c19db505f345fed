import { Client } from 'pg';
import { Kafka } from 'kafkajs';

describe('test harness', () => {
  it('gives every run its own real Postgres database', async () => {
    const client = new Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    const { rows } = await client.query<{ db: string }>('select current_database() as db');
    await client.end();
    expect(rows[0].db).toMatch(/^kb4_test_/);
  });

  it('gives every run a Kafka-protocol broker', async () => {
    const admin = new Kafka({ brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: 0 }).admin();
    await admin.connect();
    const cluster = await admin.describeCluster();
    await admin.disconnect();
    expect(cluster.brokers.length).toBeGreaterThan(0);
  });
});
