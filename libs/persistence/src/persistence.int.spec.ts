import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createThrowawayDatabase, ThrowawayDatabase } from '../../../test/support/throwaway-database';
import {
  CredentialCipher,
  createDataSource,
  IntegratedAccountRepository,
  runMigrations,
  WorkspaceRepository,
} from './index';

describe('persistence on a real Postgres database', () => {
  let database: ThrowawayDatabase;
  let dataSource: DataSource;
  const cipher = new CredentialCipher(CredentialCipher.generateKey());

  beforeAll(async () => {
    database = await createThrowawayDatabase(`kb4_test_persistence_${process.pid}`);
    await runMigrations(database.url);
    dataSource = await createDataSource(database.url).initialize();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('applies migrations once and is idempotent on a second run', async () => {
    expect(await runMigrations(database.url)).toEqual([]);
  });

  it('has entities that match the migrated schema (no drift between the two)', async () => {
    const pending = await dataSource.driver.createSchemaBuilder().log();
    const statements = pending.upQueries.map((q) => q.query);
    // foreign keys, checks, defaults and partial indexes live in the SQL migrations only; columns must agree exactly
    const modelledOnlyInSql = /INDEX|DROP CONSTRAINT|DROP DEFAULT/i;
    expect(statements.filter((sql) => !modelledOnlyInSql.test(sql))).toEqual([]);
  });

  it('stores API keys only as hashes and resolves the workspace from the clear key', async () => {
    const workspaces = new WorkspaceRepository(dataSource);
    const workspace = await workspaces.createWorkspace('acme');
    const { key } = await workspaces.issueApiKey(workspace.id, 'ci');
    expect(await workspaces.workspaceIdForApiKey(key)).toBe(workspace.id);
    expect(await workspaces.workspaceIdForApiKey(`${key}x`)).toBeNull();
    const dump = await dataSource.query(`SELECT * FROM api_keys`);
    expect(JSON.stringify(dump)).not.toContain(key);
  });

  it('keeps KnowBe4 credentials encrypted at rest and readable with the key', async () => {
    const workspaces = new WorkspaceRepository(dataSource);
    const accounts = new IntegratedAccountRepository(dataSource, cipher);
    const workspace = await workspaces.createWorkspace('globex');
    const secret = { reporting_api_key: 'reporting-secret-123456', scim_token: 'scim-secret-abcdef' };
    const account = await accounts.connect({ workspaceId: workspace.id, label: 'Globex EU', region: 'eu', credentials: secret });
    const client = new Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query('SELECT * FROM integrated_accounts WHERE id = $1', [account.id]);
    await client.end();
    expect(JSON.stringify(rows)).not.toContain('reporting-secret-123456');
    expect(JSON.stringify(rows)).not.toContain('scim-secret-abcdef');
    expect(accounts.credentialsOf(account)).toEqual(secret);
  });

  it('scopes accounts to their workspace', async () => {
    const workspaces = new WorkspaceRepository(dataSource);
    const accounts = new IntegratedAccountRepository(dataSource, cipher);
    const a = await workspaces.createWorkspace('a');
    const b = await workspaces.createWorkspace('b');
    const account = await accounts.connect({
      workspaceId: a.id,
      label: 'A',
      region: 'us',
      credentials: { reporting_api_key: 'k', scim_token: 't' },
    });
    expect(await accounts.findInWorkspace(a.id, account.id)).not.toBeNull();
    expect(await accounts.findInWorkspace(b.id, account.id)).toBeNull();
  });
});
