import { DataSource } from 'typeorm';
import { createThrowawayDatabase, ThrowawayDatabase } from '../../../test/support/throwaway-database';
import { createDataSource } from './data-source';
import { PreparedStatement } from './prepared-statement';

describe('PreparedStatement on a real Postgres database', () => {
  let database: ThrowawayDatabase;
  let dataSource: DataSource;
  const insert = new PreparedStatement<{ id: number }>('test_insert_note', 'INSERT INTO notes (body) VALUES ($1) RETURNING id');
  const count = new PreparedStatement<{ n: number }>('test_count_notes', 'SELECT count(*)::int AS n FROM notes WHERE body = $1');
  const prepared = new PreparedStatement<{ name: string }>('test_prepared_names', 'SELECT name FROM pg_prepared_statements ORDER BY name');

  beforeAll(async () => {
    database = await createThrowawayDatabase(`kb4_test_prepared_${process.pid}`);
    dataSource = await createDataSource(database.url).initialize();
    await dataSource.query('CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)');
  });

  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('runs inside the caller transaction: its writes are visible there and gone after a rollback', async () => {
    await expect(
      dataSource.transaction(async (manager) => {
        await insert.run(manager, ['rolled back']);
        expect(await count.run(manager, ['rolled back'])).toEqual([{ n: 1 }]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await count.run(dataSource, ['rolled back'])).toEqual([{ n: 0 }]);
  });

  it('runs on the data source with a pooled connection and returns the rows', async () => {
    const [row] = await insert.run(dataSource, ['kept']);
    expect(row.id).toEqual(expect.any(Number));
    expect(await count.run(dataSource.manager, ['kept'])).toEqual([{ n: 1 }]);
  });

  it('is prepared once per connection under its name and reused on the next calls', async () => {
    await dataSource.transaction(async (manager) => {
      for (let i = 0; i < 3; i++) await count.run(manager, ['kept']);
      const names = (await prepared.run(manager, [])).map((row) => row.name);
      expect(names).toEqual(expect.arrayContaining(['test_count_notes', 'test_prepared_names']));
      expect(names.filter((name) => name === 'test_count_notes')).toHaveLength(1);
    });
  });
});
