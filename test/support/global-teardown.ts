import { rmSync } from 'node:fs';
import type { EmbeddedKafka } from '../../scripts/local-stack/embedded-kafka';
import type { LocalPostgres } from '../../scripts/local-stack/postgres';
import type { ThrowawayDatabase } from './throwaway-database';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis as Record<string, unknown>;
  // first: a failing step below (e.g. Postgres refusing connections) must not leave the build in the temp dir
  if (typeof state.__KB4_TEST_PRECOMPILED__ === 'string') rmSync(state.__KB4_TEST_PRECOMPILED__, { recursive: true, force: true });
  await (state.__KB4_TEST_KAFKA__ as EmbeddedKafka | undefined)?.stop();
  await (state.__KB4_TEST_DATABASE__ as ThrowawayDatabase | undefined)?.drop();
  await (state.__KB4_TEST_MIGRATED_TEMPLATE__ as ThrowawayDatabase | undefined)?.drop();
  await (state.__KB4_TEST_POSTGRES__ as LocalPostgres | undefined)?.stop();
  // the integration and e2e projects both name this teardown: the second call finds nothing left to stop
  delete state.__KB4_TEST_KAFKA__;
  delete state.__KB4_TEST_DATABASE__;
  delete state.__KB4_TEST_MIGRATED_TEMPLATE__;
  delete state.__KB4_TEST_POSTGRES__;
  delete state.__KB4_TEST_PRECOMPILED__;
}
