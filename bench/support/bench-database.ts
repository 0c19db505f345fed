import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { runMigrations } from '@kb4/persistence';
import { startLocalPostgres } from '../../scripts/local-stack/postgres';

export interface BenchDatabase {
  /** The migrated database of this bench run. */
  url: string;
  /** Drops the database (kept, and its URL logged, when BENCH_KEEP_DB is set) and stops an embedded Postgres. */
  close(): Promise<void>;
}

/** A migrated database of its own for one bench run (`kb4_bench_<name>_<time>`), on DATABASE_URL's server or an embedded one. */
export async function startBenchDatabase(name: string, log: (line: string) => void): Promise<BenchDatabase> {
  const postgres = await startLocalPostgres({ url: process.env.DATABASE_URL, localDir: join(tmpdir(), 'kb4-bench-postgres'), log: () => undefined });
  const dbName = `kb4_bench_${name}_${Date.now().toString(36)}`;
  const admin = new URL(postgres.url);
  admin.pathname = '/postgres';
  const adminClient = new Client({ connectionString: admin.toString() });
  await adminClient.connect();
  await adminClient.query(`CREATE DATABASE "${dbName}"`);
  const url = new URL(postgres.url);
  url.pathname = `/${dbName}`;
  await runMigrations(url.toString());
  return {
    url: url.toString(),
    close: async () => {
      if (process.env.BENCH_KEEP_DB) log(`kept database ${url.toString()}`);
      else await adminClient.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => undefined);
      await adminClient.end();
      await postgres.stop();
    },
  };
}
