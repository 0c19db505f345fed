import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Pool } from 'pg';
import { CredentialCipher, IntegratedAccountRepository, WorkspaceRepository, createDataSource } from '@kb4/persistence';
import { freePort } from '../../support/free-port';
import { startSandbox, type CreateTenantOptions, type RunningSandbox, type TenantCredentials } from '../../../apps/knowbe4-sandbox/src/sandbox';
import { createMigratedDatabase, ThrowawayDatabase } from '../../support/throwaway-database';
import { nodeArgsForTypeScript } from '../../support/precompile';

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

/** A migrated database of its own for one test file. */
export async function migratedDatabase(prefix: string): Promise<ThrowawayDatabase> {
  return createMigratedDatabase(`${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`);
}

/** Starts `apps/gateway/src/main.ts` as a real process and waits until /health/live answers. */
export async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const port = await freePort();
  const root = resolve(__dirname, '../../..');
  // GATEWAY_NODE_ARGS: extra node flags for profiling (e.g. --cpu-prof)
  const nodeArgs = (process.env.GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, ...nodeArgsForTypeScript(), 'apps/gateway/src/main.ts'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info', ...env, GATEWAY_PORT: String(port), HTTP_HOST: '127.0.0.1', KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => reject(new Error(`gateway exited early (code ${code}, signal ${signal}):\n${output}`))),
  );
  const ready = (async () => {
    for (let attempt = 0; attempt < 300; attempt++) {
      try {
        const response = await fetch(`${url}/health/live`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`gateway did not become live:\n${output}`);
  })();
  await Promise.race([ready, exited]);
  child.removeAllListeners('exit');
  return {
    url,
    child,
    output: () => output,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

export interface Tenant {
  workspaceId: string;
  apiKey: string;
  accountId: string;
}

/** A workspace with an API key and one integrated account, written directly (no KnowBe4 check). */
export async function createTenant(databaseUrl: string, credentialsKey: string, credentials = { reporting_api_key: 'unused-key', scim_token: 'unused-token' }, region: 'us' | 'eu' = 'us'): Promise<Tenant> {
  const dataSource = await createDataSource(databaseUrl).initialize();
  try {
    const workspaces = new WorkspaceRepository(dataSource);
    const workspace = await workspaces.createWorkspace(`ws-${randomBytes(3).toString('hex')}`);
    const { key } = await workspaces.issueApiKey(workspace.id, 'test');
    const account = await new IntegratedAccountRepository(dataSource, new CredentialCipher(credentialsKey)).connect({
      workspaceId: workspace.id,
      label: 'test account',
      region,
      credentials,
    });
    return { workspaceId: workspace.id, apiKey: key, accountId: account.id };
  } finally {
    await dataSource.destroy();
  }
}

export function poolFor(url: string): Pool {
  return new Pool({ connectionString: url, max: 4 });
}

/** fetch with the API key; returns status, headers and parsed JSON (or text). */
export async function call(
  base: string,
  path: string,
  options: { apiKey?: string; method?: string; body?: unknown; headers?: Record<string, string> } = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(`${base}${path}`, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, body, text };
}

export interface SandboxGatewayStack {
  database: ThrowawayDatabase;
  pool: Pool;
  sandbox: RunningSandbox;
  /** The sandbox tenant the stack created (credentials KnowBe4 would accept). */
  kb4: TenantCredentials;
  gateway: GatewayProcess;
  /** Stops the gateway and the sandbox, closes the pool and drops the database (each only if it was started). */
  stop(): Promise<void>;
}

/**
 * A migrated database of its own, a sandbox (rate limits off) with one tenant, and a gateway process in sandbox mode
 * against both. `prepare` runs before the gateway starts (create workspaces, seed the mirror); `env` is added to the
 * gateway's environment.
 */
export async function startSandboxGateway(options: {
  databasePrefix: string;
  credentialsKey: string;
  sandboxTenant: CreateTenantOptions;
  env?: Record<string, string>;
  prepare?: (stack: Omit<SandboxGatewayStack, 'gateway' | 'stop'>) => Promise<void>;
}): Promise<SandboxGatewayStack> {
  let database: ThrowawayDatabase | undefined;
  let pool: Pool | undefined;
  let sandbox: RunningSandbox | undefined;
  let gateway: GatewayProcess | undefined;
  const stop = async (): Promise<void> => {
    await gateway?.stop();
    await sandbox?.close();
    await pool?.end();
    await database?.drop();
  };
  try {
    database = await migratedDatabase(options.databasePrefix);
    pool = poolFor(database.url);
    sandbox = await startSandbox({ port: 0, rateLimitProfile: 'off' });
    const kb4 = sandbox.createTenant({ rate_limit_profile: 'off', ...options.sandboxTenant });
    await options.prepare?.({ database, pool, sandbox, kb4 });
    gateway = await startGatewayProcess({
      DATABASE_URL: database.url,
      CREDENTIALS_KEY: options.credentialsKey,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
      KNOWBE4_BASE_URL_OVERRIDE: sandbox.url,
      KNOWBE4_PACING: 'off',
      ...options.env,
    });
    return { database, pool, sandbox, kb4, gateway, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A workspace whose integrated account holds the stack's sandbox tenant credentials (which KnowBe4 would accept). */
export function createSandboxTenant(stack: Pick<SandboxGatewayStack, 'database' | 'kb4'>, credentialsKey: string): Promise<Tenant> {
  return createTenant(stack.database.url, credentialsKey, { reporting_api_key: stack.kb4.reporting_api_key, scim_token: stack.kb4.scim_token });
}

export interface Route {
  method: string;
  template: string;
}

/** Every operation of the gateway's served OpenAPI document, as method + path template. */
export async function documentedRoutes(gatewayUrl: string): Promise<Route[]> {
  const spec = (await call(gatewayUrl, '/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(spec.paths).flatMap(([template, operations]) => Object.keys(operations).map((method) => ({ method: method.toUpperCase(), template })));
}
