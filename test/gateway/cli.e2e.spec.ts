import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { CredentialCipher } from '@kb4/persistence';
import { startSandbox, RunningSandbox, TenantCredentials } from '../../apps/knowbe4-sandbox/src/sandbox';
import type { ThrowawayDatabase } from '../support/throwaway-database';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createDataSource, OperationRepository } from '@kb4/persistence';
import { commandMessage, createUserIntent, storedRequestOf } from '../../apps/gateway/src/provisioning/write-intents';
import { createTenant, migratedDatabase } from './support/gateway-harness';

describe('operator CLI (npm run cli)', () => {
  let database: ThrowawayDatabase;
  let sandbox: RunningSandbox;
  let kb4: TenantCredentials;
  const credentialsKey = CredentialCipher.generateKey();

  const cli = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((done) => {
      execFile(
        process.execPath,
        ['-r', '@swc-node/register', 'apps/gateway/src/cli/main.ts', ...args],
        {
          cwd: resolve(__dirname, '../..'),
          env: { ...process.env, DATABASE_URL: database.url, CREDENTIALS_KEY: credentialsKey, KNOWBE4_BASE_URL_OVERRIDE: sandbox.url, KNOWBE4_PACING: 'off' },
        },
        (error, stdout, stderr) => done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  beforeAll(async () => {
    database = await migratedDatabase('gw_cli');
    sandbox = await startSandbox({ port: 0, rateLimitProfile: 'off' });
    kb4 = sandbox.createTenant({ seed: 11, users: 10, region: 'uk', rate_limit_profile: 'off' });
  });

  afterAll(async () => {
    await sandbox?.close();
    await database?.drop();
  });

  it('creates a workspace and an API key, connects an account after verifying it, and lists it', async () => {
    const workspace = await cli('workspace', 'create', '--name', 'Ops');
    expect(workspace.code).toBe(0);
    const workspaceId = JSON.parse(workspace.stdout).workspace_id;
    const key = await cli('api-key', 'create', '--workspace', workspaceId, '--label', 'ci');
    expect(JSON.parse(key.stdout).api_key).toMatch(/^kb4_/);

    const wrongRegion = await cli('account', 'connect', '--workspace', workspaceId, '--region', 'us', '--reporting-api-key', kb4.reporting_api_key, '--scim-token', kb4.scim_token);
    expect(wrongRegion.code).toBe(1);
    expect(wrongRegion.stderr).toContain('belongs to region "uk"');
    expect(wrongRegion.stderr).not.toContain(kb4.reporting_api_key);

    const connected = await cli('account', 'connect', '--workspace', workspaceId, '--region', 'uk', '--reporting-api-key', kb4.reporting_api_key, '--scim-token', kb4.scim_token, '--label', 'Acme UK');
    expect(connected.code).toBe(0);
    expect(connected.stdout).not.toContain(kb4.scim_token);
    const account = JSON.parse(connected.stdout);
    expect(account).toMatchObject({ label: 'Acme UK', region: 'uk', status: 'active' });

    const listed = await cli('account', 'list', '--workspace', workspaceId);
    expect(JSON.parse(listed.stdout).result.map((a: { id: string }) => a.id)).toEqual([account.id]);
  });

  it('operation retry re-publishes a stuck operation (its command lost) and refuses one that is progressing', async () => {
    const tenant = await createTenant(database.url, credentialsKey);
    const dataSource = await createDataSource(database.url).initialize();
    const accept = async (userName: string, stalledForSeconds: number): Promise<string> => {
      const intent = createUserIntent(tenant.accountId, { username: userName }, '/unified/user-directory/users');
      const { operation } = await new OperationRepository(dataSource).recordWithCommand(
        { id: randomUUID(), workspaceId: tenant.workspaceId, accountId: tenant.accountId, kind: intent.kind, targetKey: intent.key, request: storedRequestOf(intent) },
        (created) => commandMessage(created, storedRequestOf(intent).command, 1),
      );
      // relayed to a broker that was then lost
      await dataSource.query(`UPDATE outbox_events SET published_at = now() WHERE payload->>'subject' = $1`, [`operations/${operation.id}`]);
      await dataSource.query(`UPDATE operations SET updated_at = now() - make_interval(secs => $2) WHERE id = $1`, [operation.id, stalledForSeconds]);
      return operation.id;
    };
    let stuck: string;
    let progressing: string;
    try {
      stuck = await accept('stuck.cli@example.com', 600);
      progressing = await accept('busy.cli@example.com', 0);
    } finally {
      await dataSource.destroy();
    }
    const retried = await cli('operation', 'retry', '--workspace', tenant.workspaceId, '--id', stuck);
    expect(retried.code).toBe(0);
    expect(JSON.parse(retried.stdout)).toMatchObject({ id: stuck, status: 'queued' });
    const refused = await cli('operation', 'retry', '--workspace', tenant.workspaceId, '--id', progressing);
    expect(refused.code).toBe(64);
    expect(refused.stderr).toContain('neither failed nor stuck');
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT payload->>'subject' AS subject FROM outbox_events WHERE published_at IS NULL AND topic = 'knowbe4.provisioning.commands'`,
      );
      expect(rows).toEqual([{ subject: `operations/${stuck}` }]);
    } finally {
      await client.end();
    }
  });

  it('refuses unknown commands and options with usage', async () => {
    expect((await cli('workspace', 'explode')).code).toBe(64);
    const typo = await cli('workspace', 'create', '--nmae', 'x');
    expect(typo.code).toBe(64);
    expect(typo.stderr).toContain('--nmae');
  });
});
