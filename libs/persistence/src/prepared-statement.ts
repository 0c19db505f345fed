import type { PoolClient } from 'pg';
import { DataSource, EntityManager, type QueryRunner } from 'typeorm';

/**
 * A hot-path statement that each connection parses, analyses and (once Postgres settles on a generic plan) plans
 * only once: a named prepared statement. TypeORM's `query()` sends every statement unnamed, so Postgres redoes
 * that work on each call — for the write path's large CTEs most of the server's CPU per command.
 *
 * Run it with a transaction's EntityManager (same connection, same transaction) or with the DataSource (a pooled
 * connection for one statement, as `dataSource.query` does). The text must never change under the same name.
 */
export class PreparedStatement<Row> {
  constructor(
    readonly name: string,
    readonly text: string,
  ) {}

  async run(on: EntityManager | DataSource, values: readonly unknown[]): Promise<Row[]> {
    const runner = on instanceof EntityManager ? on.queryRunner : undefined;
    if (runner && !runner.isReleased) return this.runOn(runner, values);
    const dataSource: DataSource = on instanceof EntityManager ? on.connection : on;
    const own = dataSource.createQueryRunner();
    try {
      return await this.runOn(own, values);
    } finally {
      await own.release();
    }
  }

  private async runOn(runner: QueryRunner, values: readonly unknown[]): Promise<Row[]> {
    // PostgresQueryRunner.connect() hands back the pg client it holds (the transaction's, when in one).
    const client = (await runner.connect()) as PoolClient;
    const result = await client.query<Row & Record<string, unknown>>({ name: this.name, text: this.text, values: values as unknown[] });
    return result.rows;
  }
}
