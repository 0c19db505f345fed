import { Client } from 'pg';
import { DataSource, DataSourceOptions } from 'typeorm';
import { ApiKeyEntity } from './entities/api-key.entity';
import { IntegratedAccountEntity } from './entities/integrated-account.entity';
import { WorkspaceEntity } from './entities/workspace.entity';
import {
  DirectoryEnrollmentEntity,
  DirectoryGroupEntity,
  DirectoryGroupMemberEntity,
  DirectoryUserEntity,
} from './entities/directory.entities';
import { OperationEntity, OutboxEventEntity, ProcessedCommandEntity, SyncRunEntity } from './entities/operations.entities';
import { DirectoryReadIndexes1764190000000 } from './migrations/1764190000000-directory-read-indexes';
import { FleetScheduling1764650000000 } from './migrations/1764650000000-fleet-scheduling';
import { InitialSchema1764160000000 } from './migrations/1764160000000-initial-schema';
import { DirectoryMirror1764170000000 } from './migrations/1764170000000-directory-mirror';
import { OperationFinishedNotify1764200000000 } from './migrations/1764200000000-operation-finished-notify';
import { SyncRunPages1764180000000 } from './migrations/1764180000000-sync-run-pages';
import { SyncPageFingerprints1764181000000 } from './migrations/1764181000000-sync-page-fingerprints';
import { SyncPageFingerprintIds1764181000001 } from './migrations/1764181000001-sync-page-fingerprint-ids';
import { Knowbe4RateBudgets1764191000000 } from './migrations/1764191000000-knowbe4-rate-budgets';
import { BoundedTextIndexes1764310000000 } from './migrations/1764310000000-bounded-text-indexes';
import { ParameterFreeTypeOrmLogger } from './parameter-free-logger';
import { Knowbe4RateLanes1764320000000 } from './migrations/1764320000000-knowbe4-rate-lanes';
import { OperationRepublish1764300000000 } from './migrations/1764300000000-operation-republish';
import { OperationPredecessors1764330000000 } from './migrations/1764330000000-operation-predecessors';
import { Webhooks1764410000000 } from './migrations/1764410000000-webhooks';
import { WebhookDeliveryRetention1764410000001 } from './migrations/1764410000001-webhook-delivery-retention';
import { WebhookDeliveryAttemptEntity, WebhookDeliveryEntity, WebhookEntity } from './entities/webhook.entities';
import { ApiKeyScopes1764400000000 } from './migrations/1764400000000-api-key-scopes';
import { RosterRuns1764500000000 } from './migrations/1764500000000-roster-runs';
import { Automations1764510000000 } from './migrations/1764510000000-automations';
import { AccountLicenses1764520000000 } from './migrations/1764520000000-account-licenses';
import { ReactivationEventsIndex1764520000001 } from './migrations/1764520000001-reactivation-events-index';
import { OperationLeases1764640000000 } from './migrations/1764640000000-operation-leases';
import { RosterKeyStaging1764600000000 } from './migrations/1764600000000-roster-key-staging';
import { RosterStagingUnchecked1764660000000 } from './migrations/1764660000000-roster-staging-unchecked';
import { RosterCustomFields1764600000001 } from './migrations/1764600000001-roster-custom-fields';
import { RosterMemberBatches1764600000002 } from './migrations/1764600000002-roster-member-batches';
import { AuditEvents1764610000000 } from './migrations/1764610000000-audit-events';
import { IdentityGraph1764620000000 } from './migrations/1764620000000-identity-graph';
import { GeneratedColumnsMetadata1764620000001 } from './migrations/1764620000001-generated-columns-metadata';

export const ENTITIES = [
  WorkspaceEntity,
  ApiKeyEntity,
  IntegratedAccountEntity,
  DirectoryUserEntity,
  DirectoryGroupEntity,
  DirectoryGroupMemberEntity,
  DirectoryEnrollmentEntity,
  SyncRunEntity,
  OutboxEventEntity,
  OperationEntity,
  ProcessedCommandEntity,
  WebhookEntity,
  WebhookDeliveryEntity,
  WebhookDeliveryAttemptEntity,
];
export const MIGRATIONS = [InitialSchema1764160000000, DirectoryMirror1764170000000, DirectoryReadIndexes1764190000000, OperationFinishedNotify1764200000000, SyncRunPages1764180000000, Knowbe4RateBudgets1764191000000, SyncPageFingerprints1764181000000, SyncPageFingerprintIds1764181000001, OperationRepublish1764300000000, BoundedTextIndexes1764310000000, Knowbe4RateLanes1764320000000, OperationPredecessors1764330000000, ApiKeyScopes1764400000000, Webhooks1764410000000, WebhookDeliveryRetention1764410000001, RosterRuns1764500000000, Automations1764510000000, AccountLicenses1764520000000, ReactivationEventsIndex1764520000001, RosterKeyStaging1764600000000, RosterCustomFields1764600000001, RosterMemberBatches1764600000002, AuditEvents1764610000000, IdentityGraph1764620000000, GeneratedColumnsMetadata1764620000001, OperationLeases1764640000000, FleetScheduling1764650000000, RosterStagingUnchecked1764660000000];

export function dataSourceOptions(url: string, overrides: Partial<DataSourceOptions> = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    logging: false,
    // whatever `logging` is turned on: no parameters, no statement text
    logger: new ParameterFreeTypeOrmLogger(overrides.logging ?? false),
    extra: { max: 10, application_name: 'kb4-directory' },
    ...overrides,
  } as DataSourceOptions;
}

export function createDataSource(url: string, overrides: Partial<DataSourceOptions> = {}): DataSource {
  return new DataSource(dataSourceOptions(url, overrides));
}

/** Applies pending migrations; safe to call from several processes at once (TypeORM locks the migrations table). */
export async function runMigrations(url: string): Promise<string[]> {
  const dataSource = createDataSource(url, { migrationsTransactionMode: 'each' });
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations();
    return applied.map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}

/** Creates the database named in the URL when the server has no such database yet. */
export async function ensureDatabaseExists(url: string): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`refusing to create a database with an unusual name: ${name}`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return false;
    await client.query(`CREATE DATABASE "${name}"`);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '42P04') return false; // created concurrently by another process
    throw error;
  } finally {
    await client.end();
  }
}
