import { randomUUID } from 'node:crypto';
import { buildCloudEvent } from '@kb4/contracts';
import { DataSource } from 'typeorm';
import { createThrowawayDatabase, ThrowawayDatabase } from '../../../../test/support/throwaway-database';
import { createDataSource, runMigrations } from '../data-source';
import { OutboxRelay } from './outbox-relay';
import { OutboxMessage, OutboxRepository, PendingOutboxRow } from './outbox.repository';

const message = (key: string): OutboxMessage => ({
  topic: 'test.topic',
  key,
  event: buildCloudEvent({ id: randomUUID(), type: 'test.event', source: '/test', data: { key } }),
});

describe('OutboxRelay on a real Postgres database', () => {
  let database: ThrowawayDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createThrowawayDatabase(`kb4_test_relay_${process.pid}`);
    await runMigrations(database.url);
    dataSource = await createDataSource(database.url).initialize();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('publishes in order, and a nudge that arrives mid-publish is not lost to a long poll interval', async () => {
    const outbox = new OutboxRepository(dataSource);
    const published: string[] = [];
    let releaseFirst: () => void = () => undefined;
    const firstBatchHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstBatchStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (firstBatchStarted = resolve));
    let secondPublished: () => void = () => undefined;
    const second = new Promise<void>((resolve) => (secondPublished = resolve));
    const relay = new OutboxRelay(dataSource, {
      name: `test-${randomUUID()}`,
      topics: ['test.topic'],
      databaseUrl: database.url,
      pollIntervalMs: 10 * 60_000, // only a nudge can bring the second row out
      publish: async (batch: readonly PendingOutboxRow[]) => {
        if (published.length === 0) {
          firstBatchStarted();
          await firstBatchHeld;
        }
        published.push(...batch.map((row) => row.key));
        if (published.includes('b')) secondPublished();
      },
    });
    await dataSource.transaction((manager) => outbox.enqueue(manager, [message('a')]));
    relay.start();
    relay.nudge();
    await started;
    await dataSource.transaction((manager) => outbox.enqueue(manager, [message('b')]));
    relay.nudge(); // while 'a' is still being published
    releaseFirst();
    await second;
    await relay.stop();
    expect(published).toEqual(['a', 'b']);
  });
});
