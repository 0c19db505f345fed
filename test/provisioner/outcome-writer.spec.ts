import { DataSource, EntityManager } from 'typeorm';
import { createDataSource } from '@kb4/persistence';
import type { ThrowawayDatabase } from '../support/throwaway-database';
import { OutcomeWriter } from '../../apps/provisioner/src/outcomes/outcome-writer';
import { migratedDatabase } from '../gateway/support/gateway-harness';

/** Outcomes of concurrent commands share transactions, and one refused outcome never takes the others with it. */
describe('OutcomeWriter (Postgres)', () => {
  let database: ThrowawayDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await migratedDatabase('kb4_test_outcome_writer');
    dataSource = await createDataSource(database.url).initialize();
    await dataSource.query(`CREATE TABLE written (name text PRIMARY KEY, backend int NOT NULL, xact text NOT NULL)`);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  const insert = (name: string) => async (manager: EntityManager) => {
    await manager.query(`INSERT INTO written (name, backend, xact) VALUES ($1, pg_backend_pid(), txid_current()::text)`, [name]);
  };

  async function rows(prefix: string): Promise<Array<{ name: string; xact: string }>> {
    return dataSource.query(`SELECT name, xact FROM written WHERE name LIKE $1 ORDER BY name`, [`${prefix}%`]);
  }

  it('commits outcomes that arrive while another commits in one shared transaction', async () => {
    const writer = new OutcomeWriter(dataSource);
    await Promise.all(['together-a', 'together-b', 'together-c', 'together-d'].map((name) => writer.write(insert(name))));
    const written = await rows('together-');
    expect(written.map((row) => row.name)).toEqual(['together-a', 'together-b', 'together-c', 'together-d']);
    // the first goes alone at once; the three that queued behind it share the next transaction
    expect(new Set(written.slice(1).map((row) => row.xact)).size).toBe(1);
  });

  it('writes the others when one outcome of a batch throws, and rejects only that one with its error', async () => {
    const writer = new OutcomeWriter(dataSource);
    const refusal = new Error('lease lost');
    const refused = async (manager: EntityManager) => {
      await insert('apart-refused')(manager);
      throw refusal;
    };
    const outcomes = await Promise.allSettled([
      writer.write(insert('apart-first')),
      writer.write(insert('apart-b')),
      writer.write(refused),
      writer.write(insert('apart-d')),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[2] as PromiseRejectedResult).reason).toBe(refusal);
    expect((await rows('apart-')).map((row) => row.name)).toEqual(['apart-b', 'apart-d', 'apart-first']);
  });

  it('keeps a failing statement of one outcome from aborting the others', async () => {
    const writer = new OutcomeWriter(dataSource);
    await writer.write(insert('dup-existing'));
    const outcomes = await Promise.allSettled([
      writer.write(insert('dup-x')),
      writer.write(insert('dup-existing')),
      writer.write(insert('dup-y')),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await rows('dup-')).map((row) => row.name)).toEqual(['dup-existing', 'dup-x', 'dup-y']);
  });
});
