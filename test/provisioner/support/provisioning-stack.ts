import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { CredentialCipher, createDataSource, IntegratedAccountRepository, WorkspaceRepository } from '@kb4/persistence';
import { startSandbox, type RunningSandbox, type TenantCredentials } from '../../../apps/knowbe4-sandbox/src/sandbox';
import { freePort } from '../../support/free-port';
import { createMigratedDatabase, ThrowawayDatabase } from '../../support/throwaway-database';
import { nodeArgsForTypeScript } from '../../support/precompile';

const ROOT = resolve(__dirname, '../../..');

export interface ServiceProcess {
  name: string;
  url: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL: no shutdown hooks run. */
  kill(): Promise<void>;
}

/** Runs an app entry point as a real process and waits until its /health/ready answers 200. */
export async function startService(
  name: 'gateway' | 'provisioner',
  env: Record<string, string>,
  readyTimeoutMs = 60_000,
  nodeArgs: string[] = [],
): Promise<ServiceProcess> {
  const port = await freePort();
  const portVariable = name === 'gateway' ? 'GATEWAY_PORT' : 'PROVISIONER_PORT';
  const child = spawn(process.execPath, [...nodeArgs, ...nodeArgsForTypeScript(), `apps/${name}/src/main.ts`], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, [portVariable]: String(port), HTTP_HOST: '127.0.0.1', KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-200_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const exitedEarly = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => reject(new Error(`${name} exited early (code ${code}, signal ${signal}):\n${output}`))),
  );
  const ready = (async () => {
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline) {
      try {
        if ((await fetch(`${url}/health/ready`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${name} did not become ready:\n${output}`);
  })();
  try {
    await Promise.race([ready, exitedEarly]);
  } catch (error) {
    // Never leave a half-started service behind: it would keep the test runner (or bench) from exiting.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw error;
  }
  child.removeAllListeners('exit');
  const waitForExit = (signal: NodeJS.Signals): Promise<void> =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill(signal);
    });
  return { name, url, child, output: () => output, stop: () => waitForExit('SIGTERM'), kill: () => waitForExit('SIGKILL') };
}

export interface ProvisioningStack {
  database: ThrowawayDatabase;
  sandbox: RunningSandbox;
  tenant: TenantCredentials;
  apiKey: string;
  workspaceId: string;
  accountId: string;
  gateway: ServiceProcess;
  provisioner: ServiceProcess;
  /** Environment the services were started with (to restart one). */
  env: Record<string, string>;
  restartProvisioner(): Promise<ServiceProcess>;
  /** Direct SQL against the stack's database. */
  query<T = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

export interface StackOptions {
  users?: number;
  concurrency?: number;
  extraEnv?: Record<string, string>;
}

/**
 * A throwaway database, the in-process KnowBe4 sandbox with one tenant, a workspace with an API key and an
 * integrated account for that tenant, and the gateway and provisioner as real processes on the run's broker.
 */
export async function startProvisioningStack(prefix: string, options: StackOptions = {}): Promise<ProvisioningStack> {
  const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const database = await createMigratedDatabase(`${prefix}_${suffix}`);
  const sandbox = await startSandbox({ port: 0 });
  const tenant = sandbox.createTenant({ seed: 11, users: options.users ?? 20, region: 'us', rate_limit_profile: 'off' });
  const credentialsKey = CredentialCipher.generateKey();
  const dataSource = await createDataSource(database.url).initialize();
  let apiKey: string;
  let workspaceId: string;
  let accountId: string;
  try {
    const workspaces = new WorkspaceRepository(dataSource);
    const workspace = await workspaces.createWorkspace(`ws-${suffix}`);
    apiKey = (await workspaces.issueApiKey(workspace.id, 'test')).key;
    workspaceId = workspace.id;
    const account = await new IntegratedAccountRepository(dataSource, new CredentialCipher(credentialsKey)).connect({
      workspaceId: workspace.id,
      label: 'sandbox tenant',
      region: 'us',
      credentials: { reporting_api_key: tenant.reporting_api_key, scim_token: tenant.scim_token },
      scimBaseUrl: tenant.scim_base_url,
    });
    accountId = account.id;
  } finally {
    await dataSource.destroy();
  }
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '',
    CREDENTIALS_KEY: credentialsKey,
    KNOWBE4_BASE_URL_OVERRIDE: sandbox.url,
    KNOWBE4_PACING: 'off',
    API_RATE_LIMIT_PER_MINUTE: '1000000',
    PROVISIONER_CONSUMER_GROUP: `kb4-provisioner-${suffix}`,
    PROVISIONER_SESSION_TIMEOUT_MS: '6000',
    PROVISIONER_HEARTBEAT_INTERVAL_MS: '1000',
    PROVISIONER_MAX_WAIT_MS: '100',
    PROVISIONER_RETRY_BASE_MS: '100',
    PROVISIONER_RETRY_MAX_MS: '1000',
    PROVISIONER_CONCURRENCY: String(options.concurrency ?? 8),
    // a killed provisioner's claimed commands wait this long for the next delivery (renewed while SCIM is called)
    PROVISIONER_LEASE_SECONDS: '10',
    ...options.extraEnv,
  };
  const [gateway, provisioner] = await Promise.all([startService('gateway', env), startService('provisioner', env)]);
  const stack: ProvisioningStack = {
    database,
    sandbox,
    tenant,
    apiKey,
    workspaceId,
    accountId,
    gateway,
    provisioner,
    env,
    async restartProvisioner() {
      stack.provisioner = await startService('provisioner', env);
      return stack.provisioner;
    },
    async query<T>(sql: string, values: unknown[] = []) {
      const client = new Client({ connectionString: database.url });
      await client.connect();
      try {
        return (await client.query(sql, values)).rows as T[];
      } finally {
        await client.end();
      }
    },
    async stop() {
      await Promise.all([stack.gateway.stop(), stack.provisioner.stop()]);
      await sandbox.close();
      await database.drop();
    },
  };
  return stack;
}

export interface ApiAnswer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** A call to the gateway with the stack's API key. */
export async function api<T = Record<string, unknown>>(
  stack: Pick<ProvisioningStack, 'gateway' | 'apiKey'>,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiAnswer<T>> {
  const response = await fetch(`${stack.gateway.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${stack.apiKey}`,
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : null) as T };
}

/** Polls an operation until it has finished (or the attempts run out); no elapsed-time assertion. */
export async function finishedOperation(stack: Pick<ProvisioningStack, 'gateway' | 'apiKey'>, id: string): Promise<Record<string, unknown>> {
  for (let round = 0; round < 20; round++) {
    const answer = await api(stack, 'GET', `/operations/${id}`, { headers: { prefer: 'wait=10' } });
    if (answer.body.status === 'succeeded' || answer.body.status === 'failed') return answer.body;
  }
  throw new Error(`operation ${id} did not finish`);
}
