import { resolve } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import { CredentialCipher, createDataSource, IntegratedAccountRepository, WorkspaceRepository } from '@kb4/persistence';
import type { TenantCredentials } from '../../../apps/knowbe4-sandbox/src/sandbox';
import { ensureConsoleBuilt } from '../../../scripts/local-stack/console-build';
import { pollerEnv, startPollerInProcess } from '../../poller/support';
import { startProvisioningStack, type ProvisioningStack } from '../../provisioner/support/provisioning-stack';

export interface ConsoleStack {
  stack: ProvisioningStack;
  /** Workspace A's first tenant, connected before the browser opens (region us). */
  acme: { accountId: string; label: string };
  /** A second sandbox tenant in region eu that the test connects through the console. */
  globex: TenantCredentials;
  /** Another workspace: its key, and its one paused account with a 100k-user mirror (never synced in this run). */
  other: { apiKey: string; accountId: string; label: string; users: number };
  stop(): Promise<void>;
}

const ROOT = resolve(__dirname, '../../..');

/**
 * Gateway + provisioner (processes), the poller (in this process), the sandbox with three tenants, two workspaces,
 * and the console built as `npm start` builds it.
 */
export async function startConsoleStack(bigTenantUsers: number): Promise<ConsoleStack> {
  await ensureConsoleBuilt(ROOT, () => undefined);
  const stack = await startProvisioningStack('console', { users: 40 });
  let poller: INestApplicationContext | undefined;
  try {
    const globex = stack.sandbox.createTenant({ seed: 23, users: 30, region: 'eu', rate_limit_profile: 'off' });
    const acme = { accountId: stack.accountId, label: 'Acme Corp' };
    await stack.query(`UPDATE integrated_accounts SET label = $2 WHERE id = $1`, [acme.accountId, acme.label]);
    const other = await otherWorkspace(stack, bigTenantUsers);
    poller = await startPollerInProcess(pollerEnv(stack.database.url, stack.sandbox.url, { CREDENTIALS_KEY: stack.env.CREDENTIALS_KEY, POLLER_PORT: '0' }));
    const running = poller;
    return {
      stack,
      acme,
      globex,
      other,
      async stop() {
        await running.close();
        await stack.stop();
      },
    };
  } catch (error) {
    await poller?.close();
    await stack.stop();
    throw error;
  }
}

/** Workspace B: a key and a paused account (the poller leaves it alone) whose mirror holds `users` users. */
async function otherWorkspace(stack: ProvisioningStack, users: number): Promise<ConsoleStack['other']> {
  const tenant = stack.sandbox.createTenant({ seed: 31, users: 3, region: 'uk', rate_limit_profile: 'off' });
  const dataSource = await createDataSource(stack.database.url).initialize();
  let apiKey: string;
  let accountId: string;
  const label = 'Initech (100k users)';
  try {
    const workspaces = new WorkspaceRepository(dataSource);
    const workspace = await workspaces.createWorkspace(`other-${Date.now().toString(36)}`);
    apiKey = (await workspaces.issueApiKey(workspace.id, 'other workspace')).key;
    const account = await new IntegratedAccountRepository(dataSource, new CredentialCipher(stack.env.CREDENTIALS_KEY)).connect({
      workspaceId: workspace.id,
      label,
      region: 'uk',
      credentials: { reporting_api_key: tenant.reporting_api_key, scim_token: tenant.scim_token },
      scimBaseUrl: tenant.scim_base_url,
    });
    accountId = account.id;
  } finally {
    await dataSource.destroy();
  }
  await seedBigMirror(stack.database.url, accountId, users);
  return { apiKey, accountId, label, users };
}

/** `users` mirror rows in one set-based INSERT (the unified record shape the poller writes, minimal fields). */
async function seedBigMirror(databaseUrl: string, accountId: string, users: number): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`UPDATE integrated_accounts SET status = 'paused' WHERE id = $1`, [accountId]);
    await client.query(
      `INSERT INTO directory_users (account_id, remote_id, email_lower, employee_number, status, first_name, last_name, department, record, content_hash)
       SELECT $1::uuid, 5000000 + i, 'person' || i || '@initech.example', 'E' || i, 'active', 'Person', 'Number ' || i, d,
              jsonb_build_object('id', (5000000 + i)::text, 'external_id', 'E' || i, 'first_name', 'Person', 'last_name', 'Number ' || i,
                'name', 'Person Number ' || i, 'username', 'person' || i || '@initech.example',
                'emails', jsonb_build_array(jsonb_build_object('email', 'person' || i || '@initech.example', 'type', 'work', 'is_primary', true)),
                'phones', '[]'::jsonb, 'status', 'active', 'groups', '[]'::jsonb, 'organizations', '[]'::jsonb, 'languages', '[]'::jsonb,
                'department', d, 'title', 'Analyst', 'created_at', '2026-01-01T00:00:00.000Z', 'updated_at', '2026-01-01T00:00:00.000Z'),
              md5(i::text)
       FROM generate_series(1, $2::int) AS i, LATERAL (SELECT (ARRAY['Finance','Sales','Engineering','Support'])[1 + i % 4] AS d) AS dept`,
      [accountId, users],
    );
    await client.query(`ANALYZE directory_users`);
  } finally {
    await client.end();
  }
}
