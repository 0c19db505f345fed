import type { EmbeddedKafka } from '../../scripts/local-stack/embedded-kafka';
import type { LocalPostgres } from '../../scripts/local-stack/postgres';
import type { ThrowawayDatabase } from './throwaway-database';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis as Record<string, unknown>;
  await (state.__KB4_TEST_KAFKA__ as EmbeddedKafka | undefined)?.stop();
  await (state.__KB4_TEST_DATABASE__ as ThrowawayDatabase | undefined)?.drop();
  await (state.__KB4_TEST_POSTGRES__ as LocalPostgres | undefined)?.stop();
}
