import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startEmbeddedKafka } from '../../scripts/local-stack/embedded-kafka';
import { startLocalPostgres } from '../../scripts/local-stack/postgres';
import { nodeArgsForTypeScript, precompileTypeScript } from './precompile';
import { createThrowawayDatabase } from './throwaway-database';

/**
 * One throwaway Postgres database and one Kafka-protocol broker per `npm test` run.
 * Postgres is the server at TEST_DATABASE_ADMIN_URL (default 127.0.0.1:5432) or, on a machine without one,
 * the embedded PostgreSQL binaries; KAFKA_BROKERS may point the run at a real Kafka instead of the embedded broker.
 */
export default async function globalSetup(): Promise<void> {
  const state = globalThis as Record<string, unknown>;
  // the integration and e2e projects both name this setup: the second call in one jest run shares the first's services
  if (state.__KB4_TEST_DATABASE__) return;
  const runId = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  process.env.KB4_TEST_RUN_ID = runId;
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const server = await startLocalPostgres({
    url: process.env.TEST_DATABASE_ADMIN_URL ? adminUrl : undefined,
    localDir: join(tmpdir(), 'kb4-directory-test-postgres'),
    log: (line) => process.stderr.write(`[test setup] ${line}\n`),
  });
  const admin = new URL(server.url);
  admin.pathname = '/postgres';
  process.env.TEST_DATABASE_ADMIN_URL = admin.toString();
  state.__KB4_TEST_POSTGRES__ = server;
  const database = await createThrowawayDatabase(`kb4_test_${runId}`);
  process.env.DATABASE_URL = database.url;
  state.__KB4_TEST_DATABASE__ = database;
  // The TypeScript that spawned services run, compiled once for the run (test/support/precompile.ts) while the broker
  // starts; KB4_TEST_PRECOMPILE=off leaves every spawned process to compile its own with @swc-node/register.
  const precompiled = process.env.KB4_TEST_PRECOMPILE === 'off' ? undefined : join(tmpdir(), `kb4-test-js-${runId}`);
  state.__KB4_TEST_PRECOMPILED__ = precompiled;
  const [kafka] = await Promise.all([process.env.KAFKA_BROKERS ? undefined : startEmbeddedKafka(), precompiled && precompileTypeScript(precompiled)]);
  if (precompiled) process.env.KB4_PRECOMPILED_DIR = precompiled;
  // Migrated once (npm run migrate's script); createMigratedDatabase copies it (CREATE DATABASE … TEMPLATE, ~0.3 s)
  // instead of running every migration for each test file's database (~1 s).
  const template = await createThrowawayDatabase(`kb4_test_${runId}_migrated`);
  state.__KB4_TEST_MIGRATED_TEMPLATE__ = template;
  await promisify(execFile)(process.execPath, [...nodeArgsForTypeScript(), 'scripts/migrate.ts'], { cwd: join(__dirname, '../..'), env: { ...process.env, DATABASE_URL: template.url } });
  process.env.KB4_TEST_MIGRATED_TEMPLATE = `kb4_test_${runId}_migrated`;
  if (kafka) {
    process.env.KAFKA_BROKERS = kafka.brokers;
    state.__KB4_TEST_KAFKA__ = kafka;
  }
}
