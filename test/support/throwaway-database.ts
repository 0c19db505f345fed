import { Client } from 'pg';

export interface ThrowawayDatabase {
  url: string;
  drop(): Promise<void>;
}

const adminUrl = (): string => process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function databaseUrl(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database (or a copy of `template`) for one test run or one test file on the real Postgres server. */
export async function createThrowawayDatabase(name: string, template?: string): Promise<ThrowawayDatabase> {
  for (const identifier of [name, template ?? '']) if (!/^[a-z0-9_]*$/.test(identifier)) throw new Error(`unsafe database name: ${identifier}`);
  if (!name) throw new Error('a throwaway database needs a name');
  await withAdmin(async (client) => {
    await client.query(template ? `CREATE DATABASE "${name}" TEMPLATE "${template}"` : `CREATE DATABASE "${name}"`);
    // Commits return before their WAL reaches the disk (2-3 ms each on this machine's fsync): what a commit shows to
    // every other connection, and what survives a killed client process, is the same; only a crash of the Postgres
    // server itself, which no test causes, could lose the last commits.
    await client.query(`ALTER DATABASE "${name}" SET synchronous_commit = off`);
  });
  return {
    url: databaseUrl(name),
    drop: () => withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/**
 * A database with every migration applied: a copy of the run's migrated template (global setup sets
 * KB4_TEST_MIGRATED_TEMPLATE), which takes a fraction of running the ~30 migrations again; else created and migrated.
 */
export async function createMigratedDatabase(name: string): Promise<ThrowawayDatabase> {
  const template = process.env.KB4_TEST_MIGRATED_TEMPLATE;
  const database = await createThrowawayDatabase(name, template);
  if (!template) {
    try {
      // loaded here: global setup (no @kb4/* mapping there) imports this file and migrates its template in a child
      const { runMigrations } = await import('@kb4/persistence');
      await runMigrations(database.url);
    } catch (error) {
      await database.drop();
      throw error;
    }
  }
  return database;
}
