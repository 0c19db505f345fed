import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { CredentialCipher, createDataSource, OperationRepository } from '@kb4/persistence';
import { commandMessage, createUserIntent, storedRequestOf } from '../../apps/gateway/src/provisioning/write-intents';
import { createTenant, SandboxGatewayStack, startSandboxGateway } from './support/gateway-harness';
import { nodeArgsForTypeScript } from '../support/precompile';

// each command is a node process compiling TypeScript on start: generous on a loaded machine, no timing asserted
jest.setTimeout(300_000);

/** The operator CLI goes through the gateway's REST API with the typed client: admin API for workspaces and keys. */
describe('operator CLI (npm run cli) against a gateway process', () => {
  let stack: SandboxGatewayStack;
  const credentialsKey = CredentialCipher.generateKey();
  const adminToken = `adm_${randomBytes(24).toString('base64url')}`;

  const cli = (env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((done) => {
      execFile(
        process.execPath,
        [...nodeArgsForTypeScript(), 'apps/gateway/src/cli/main.ts', ...args],
        // KB4_LOCAL_DIR: no .local/demo.json of a developer's own npm start may fill in a setting
        { cwd: resolve(__dirname, '../..'), env: { ...process.env, KB4_LOCAL_DIR: join(tmpdir(), 'kb4-cli-none'), KB4_GATEWAY_URL: stack.gateway.url, ...env } },
        (error, stdout, stderr) => done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const asOperator = (...args: string[]): ReturnType<typeof cli> => cli({ KB4_ADMIN_TOKEN: adminToken }, ...args);
  let workspaceId: string;
  let issued: { api_key: string; api_key_id: string };

  beforeAll(async () => {
    stack = await startSandboxGateway({
      databasePrefix: 'gw_cli',
      credentialsKey,
      sandboxTenant: { seed: 11, users: 10, region: 'uk' },
      env: { ADMIN_TOKEN: adminToken, OPERATION_RECONCILE_INTERVAL_SECONDS: '0' },
    });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('creates a workspace and a scoped API key over the admin API, connects an account after verifying it, and lists it', async () => {
    const workspace = await asOperator('workspace', 'create', '--name', 'Ops');
    expect(workspace.code).toBe(0);
    workspaceId = JSON.parse(workspace.stdout).workspace_id;
    expect(JSON.parse((await asOperator('workspace', 'list')).stdout).result.map((w: { id: string }) => w.id)).toContain(workspaceId);
    const created = await asOperator('api-key', 'create', '--workspace', workspaceId, '--label', 'ci', '--scopes', 'directory:read,accounts:manage');
    issued = JSON.parse(created.stdout);
    expect(issued).toMatchObject({ api_key: expect.stringMatching(/^kb4_/), scopes: ['directory:read', 'accounts:manage'] });
    const asWorkspace = (...args: string[]): ReturnType<typeof cli> => cli({ KB4_API_KEY: issued.api_key }, ...args);

    const { kb4 } = stack;
    const wrongRegion = await asWorkspace('account', 'connect', '--region', 'us', '--reporting-api-key', kb4.reporting_api_key, '--scim-token', kb4.scim_token);
    expect(wrongRegion.code).toBe(1);
    expect(wrongRegion.stderr).toContain('belongs to region "uk"');
    expect(wrongRegion.stderr).not.toContain(kb4.reporting_api_key);

    const connected = await asWorkspace('account', 'connect', '--region', 'uk', '--reporting-api-key', kb4.reporting_api_key, '--scim-token', kb4.scim_token, '--label', 'Acme UK');
    expect(connected.code).toBe(0);
    expect(connected.stdout).not.toContain(kb4.scim_token);
    const account = JSON.parse(connected.stdout);
    expect(account).toMatchObject({ label: 'Acme UK', region: 'uk', status: 'active' });
    expect(JSON.parse((await asWorkspace('account', 'list')).stdout).result.map((a: { id: string }) => a.id)).toEqual([account.id]);
  });

  it('refuses a write to a directory:read key (403 naming the scope) and anything to a revoked key (401)', async () => {
    const asWorkspace = (...args: string[]): ReturnType<typeof cli> => cli({ KB4_API_KEY: issued.api_key }, ...args);
    const readOnly = JSON.parse((await asOperator('api-key', 'create', '--workspace', workspaceId, '--scopes', 'directory:read')).stdout);
    const refused = await cli({ KB4_API_KEY: readOnly.api_key }, 'account', 'connect', '--region', 'uk', '--reporting-api-key', 'k', '--scim-token', 't');
    expect(refused.stderr).toContain('403: the API key lacks the "accounts:manage" scope');
    const listed = JSON.parse((await asOperator('api-key', 'list', '--workspace', workspaceId)).stdout);
    expect(listed.result.map((k: { id: string }) => k.id)).toEqual([issued.api_key_id, readOnly.api_key_id]);
    expect(JSON.stringify(listed)).not.toContain(issued.api_key);
    expect(JSON.parse((await asOperator('api-key', 'revoke', '--workspace', workspaceId, '--id', issued.api_key_id)).stdout).revoked_at).not.toBeNull();
    const revoked = await asWorkspace('account', 'list');
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toContain('401');
  });

  it('operation retry re-publishes a stuck operation (its command lost) through the API and refuses one that is progressing', async () => {
    const tenant = await createTenant(stack.database.url, credentialsKey);
    const dataSource = await createDataSource(stack.database.url).initialize();
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
    const commandsOf = async (id: string): Promise<number> =>
      Number((await stack.pool.query(`SELECT count(*) FROM outbox_events WHERE payload->>'subject' = $1`, [`operations/${id}`])).rows[0].count);
    try {
      const stuck = await accept('stuck.cli@example.com', 600);
      const progressing = await accept('busy.cli@example.com', 0);
      const asWorkspace = (...args: string[]): ReturnType<typeof cli> => cli({ KB4_API_KEY: tenant.apiKey }, ...args);

      const retried = await asWorkspace('operation', 'retry', '--id', stuck);
      expect(retried.code).toBe(0);
      expect(JSON.parse(retried.stdout)).toMatchObject({ id: stuck, status: 'queued' });
      expect(await commandsOf(stuck)).toBe(2);
      const refused = await asWorkspace('operation', 'retry', '--id', progressing);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^409: /);
      expect(await commandsOf(progressing)).toBe(1);
      expect(JSON.parse((await asWorkspace('operation', 'show', '--id', stuck)).stdout)).toMatchObject({ id: stuck });
      expect(JSON.parse((await asWorkspace('operation', 'list', '--limit', '10')).stdout).result.map((o: { id: string }) => o.id).sort()).toEqual([stuck, progressing].sort());
    } finally {
      await dataSource.destroy();
    }
  });

  it('refuses unknown commands and options with usage, and says which credential is missing', async () => {
    expect((await asOperator('workspace', 'explode')).code).toBe(64);
    const typo = await asOperator('workspace', 'create', '--nmae', 'x');
    expect(typo.code).toBe(64);
    expect(typo.stderr).toContain('--nmae');
    const noToken = await cli({}, 'workspace', 'list');
    expect(noToken.code).toBe(64);
    expect(noToken.stderr).toContain('KB4_ADMIN_TOKEN');
  });
});
