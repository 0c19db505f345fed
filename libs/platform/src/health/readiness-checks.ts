import { Admin, Kafka, logLevel } from 'kafkajs';
import type { ReadinessCheck } from './health';

/** Postgres is ready when `ping` (a trivial query, written in libs/persistence) answers. */
export function postgresReadiness(ping: () => Promise<unknown>): ReadinessCheck {
  return { name: 'postgres', check: async () => void (await ping()) };
}

/** Kafka is ready when the cluster's metadata can be read; the admin connection is reused between probes. */
export function kafkaReadiness(brokers: string[]): ReadinessCheck & { close(): Promise<void> } {
  let admin: Admin | undefined;
  return {
    name: 'kafka',
    async check() {
      if (!admin) {
        admin = new Kafka({ clientId: 'kb4-readiness', brokers, logLevel: logLevel.NOTHING, retry: { retries: 1 } }).admin();
        try {
          await admin.connect();
        } catch (error) {
          admin = undefined;
          throw error;
        }
      }
      await admin.describeCluster();
    },
    async close() {
      await admin?.disconnect();
      admin = undefined;
    },
  };
}
