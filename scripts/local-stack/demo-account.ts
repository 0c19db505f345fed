import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CredentialCipher, createDataSource, IntegratedAccountRepository, WorkspaceRepository } from '@kb4/persistence';

export interface DemoState {
  workspace_id: string;
  api_key: string;
  integrated_account_id: string;
  reporting_api_key: string;
  scim_token: string;
  database_url: string;
}

export interface SandboxTenant {
  id: string;
  region: string;
  reporting_api_key: string;
  scim_token: string;
  reporting_base_url: string;
  scim_base_url: string;
}

const STATE_FILE = 'demo-state.json';

function readState(localDir: string): DemoState | null {
  const path = join(localDir, STATE_FILE);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DemoState;
  } catch {
    return null;
  }
}

/** Local runs keep one generated credentials key so accounts stored by a previous run stay readable. */
export function localCredentialsKey(localDir: string): string {
  const path = join(localDir, 'credentials.key');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const key = CredentialCipher.generateKey();
  writeFileSync(path, `${key}\n`, { mode: 0o600 });
  return key;
}

/** Local runs keep one generated operator token (ADMIN_TOKEN of the gateway's /admin API), like the credentials key. */
export function localAdminToken(localDir: string): string {
  const path = join(localDir, 'admin-token');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const token = `kb4adm_${randomBytes(32).toString('base64url')}`;
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return token;
}

/** Local runs keep one generated audit checkpoint key (AUDIT_CHECKPOINT_KEY of the gateway), so checkpoints stay verifiable across restarts. */
export function localAuditCheckpointKey(localDir: string): string {
  const path = join(localDir, 'audit-checkpoint.key');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const key = randomBytes(32).toString('base64');
  writeFileSync(path, `${key}\n`, { mode: 0o600 });
  return key;
}

/**
 * The demo tenant keeps the same KnowBe4 credentials across restarts (the sandbox is in memory, so it is
 * re-created with them), and the demo workspace, API key and integrated account are reused when they exist.
 */
export function demoTenantCredentials(localDir: string): { reporting_api_key: string; scim_token: string } {
  const state = readState(localDir);
  return {
    reporting_api_key: state?.reporting_api_key ?? `demo-reporting-${randomBytes(12).toString('hex')}`,
    scim_token: state?.scim_token ?? `demo-scim-${randomBytes(12).toString('hex')}`,
  };
}

export async function createSandboxTenant(
  sandboxUrl: string,
  body: { seed: number; users: number; region: string; reporting_api_key: string; scim_token: string },
): Promise<SandboxTenant> {
  const response = await fetch(`${sandboxUrl}/_sandbox/tenants`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`sandbox refused the demo tenant: ${response.status} ${await response.text()}`);
  return (await response.json()) as SandboxTenant;
}

export async function ensureDemoAccount(options: {
  localDir: string;
  databaseUrl: string;
  credentialsKey: string;
  tenant: SandboxTenant;
}): Promise<DemoState> {
  const dataSource = await createDataSource(options.databaseUrl).initialize();
  try {
    const workspaces = new WorkspaceRepository(dataSource);
    const accounts = new IntegratedAccountRepository(dataSource, new CredentialCipher(options.credentialsKey));
    const previous = readState(options.localDir);
    if (previous && previous.database_url === options.databaseUrl) {
      const stillThere =
        (await workspaces.workspaceIdForApiKey(previous.api_key)) === previous.workspace_id &&
        (await accounts.findInWorkspace(previous.workspace_id, previous.integrated_account_id)) !== null;
      if (stillThere && previous.reporting_api_key === options.tenant.reporting_api_key) return previous;
    }
    const workspace = await workspaces.createWorkspace('Demo workspace');
    const { key } = await workspaces.issueApiKey(workspace.id, 'demo'); // every scope: the demo key can do everything
    const account = await accounts.connect({
      workspaceId: workspace.id,
      label: 'Demo KnowBe4 tenant (sandbox)',
      region: options.tenant.region as 'us',
      credentials: { reporting_api_key: options.tenant.reporting_api_key, scim_token: options.tenant.scim_token },
      scimBaseUrl: options.tenant.scim_base_url,
    });
    const state: DemoState = {
      workspace_id: workspace.id,
      api_key: key,
      integrated_account_id: account.id,
      reporting_api_key: options.tenant.reporting_api_key,
      scim_token: options.tenant.scim_token,
      database_url: options.databaseUrl,
    };
    writeFileSync(join(options.localDir, STATE_FILE), JSON.stringify(state, null, 2), { mode: 0o600 });
    return state;
  } finally {
    await dataSource.destroy();
  }
}
