import type { DataSource } from 'typeorm';

/** A probe for readiness: resolves when the database answers a trivial query. */
export async function pingDatabase(dataSource: DataSource): Promise<void> {
  await dataSource.query('select 1');
}
