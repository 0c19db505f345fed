import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { fromKafkaMessage, TOPICS, type CloudEventEnvelope } from '@kb4/contracts';
import { CredentialCipher, createDataSource, IntegratedAccountRepository, SyncQueueRepository, WorkspaceRepository } from '@kb4/persistence';
import { createLogger, loadConfig } from '@kb4/platform';
import { Consumer, Kafka, logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';
import { PollerConfig } from '../../apps/poller/src/config/poller.config';
import { PollerModule } from '../../apps/poller/src/poller.module';
import { startSandbox, type CreateTenantOptions, type RunningSandbox, type TenantCredentials } from '../../apps/knowbe4-sandbox/src/sandbox';
import { createMigratedDatabase, ThrowawayDatabase } from '../support/throwaway-database';

export interface ReceivedEvent {
  key: string | null;
  partition: number;
  offset: string;
  event: CloudEventEnvelope<Record<string, unknown>>;
}

export const CREDENTIALS_KEY = CredentialCipher.generateKey();

export async function pollerDatabase(label: string): Promise<{ database: ThrowawayDatabase; dataSource: DataSource }> {
  const database = await createMigratedDatabase(`kb4_poller_${label}_${process.pid}_${Date.now().toString(36)}`);
  const dataSource = await createDataSource(database.url).initialize();
  return { database, dataSource };
}

export async function connectAccount(
  dataSource: DataSource,
  tenant: { region: string; reporting_api_key: string; scim_token: string; scim_base_url: string },
): Promise<string> {
  const workspace = await new WorkspaceRepository(dataSource).createWorkspace(`poller-test-${Date.now()}`);
  const account = await new IntegratedAccountRepository(dataSource, new CredentialCipher(CREDENTIALS_KEY)).connect({
    workspaceId: workspace.id,
    label: 'sandbox tenant',
    region: tenant.region as 'us',
    credentials: { reporting_api_key: tenant.reporting_api_key, scim_token: tenant.scim_token },
    scimBaseUrl: tenant.scim_base_url,
  });
  return account.id;
}

export function pollerEnv(databaseUrl: string, sandboxUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    CREDENTIALS_KEY,
    KNOWBE4_BASE_URL_OVERRIDE: sandboxUrl,
    KNOWBE4_RATE_PROFILE: 'off',
    SYNC_SCHEDULER_TICK_MS: '200',
    // every run reads enrollments and GET /account, as these specs expect (production reads them on cadences of their own)
    SYNC_ENROLLMENTS_INTERVAL_SECONDS: '0',
    SYNC_ACCOUNT_INTERVAL_SECONDS: '0',
    LOG_LEVEL: 'silent',
    POLLER_PORT: '0',
    ...extra,
  };
}

/** The poller's Nest module in this process (no HTTP listener). */
export async function startPollerInProcess(env: Record<string, string>): Promise<INestApplicationContext> {
  const config = loadConfig(PollerConfig, env);
  const app = await NestFactory.createApplicationContext(PollerModule.forConfig(config, createLogger('poller', config.LOG_LEVEL)), {
    logger: false,
  });
  await app.init();
  return app;
}

/** A consumer group of its own that keeps every directory/sync-run event of one account. */
export async function collectEvents(accountId: string, topics: string[] = [TOPICS.directoryEvents]): Promise<{
  events: ReceivedEvent[];
  stop: () => Promise<void>;
}> {
  const kafka = new Kafka({ clientId: 'poller-test', brokers: (process.env.KAFKA_BROKERS ?? '').split(','), logLevel: logLevel.NOTHING });
  const consumer: Consumer = kafka.consumer({
    groupId: `poller-test-${accountId}-${Math.random().toString(36).slice(2)}`,
    sessionTimeout: 6000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
  const events: ReceivedEvent[] = [];
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      const received = fromKafkaMessage(message);
      const data = received.event.data as Record<string, unknown>;
      if (data?.integrated_account_id !== accountId) return;
      events.push({ key: received.key, partition, offset: message.offset, event: received.event as CloudEventEnvelope<Record<string, unknown>> });
    },
  });
  return { events, stop: () => consumer.disconnect() };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function runStatuses(dataSource: DataSource, accountId: string): Promise<Array<{ id: string; status: string; counts: Record<string, number>; checkpoint: Record<string, unknown> | null }>> {
  return dataSource.query(`SELECT id, status, counts, checkpoint FROM sync_runs WHERE account_id = $1 ORDER BY started_at`, [accountId]);
}

export async function waitForRun(dataSource: DataSource, runId: string, statuses = ['completed', 'failed'], timeoutMs = 60_000): Promise<{ status: string; counts: Record<string, number>; error: string | null }> {
  return waitFor(`run ${runId} to reach ${statuses.join('/')}`, async () => {
    const [row] = await dataSource.query<Array<{ status: string; counts: Record<string, number>; error: string | null }>>(`SELECT status, counts, error FROM sync_runs WHERE id = $1`, [runId]);
    return row && statuses.includes(row.status) ? row : undefined;
  }, timeoutMs);
}

/** The account's first run (queued by the scheduler when the poller starts), once it ended. */
export async function initialRun(dataSource: DataSource, accountId: string): Promise<{ id: string; status: string; counts: Record<string, number>; error: string | null }> {
  const [initial] = await waitFor('the initial run', async () => (await runStatuses(dataSource, accountId)).length > 0 && runStatuses(dataSource, accountId));
  return { id: initial.id, ...(await waitForRun(dataSource, initial.id)) };
}

export async function sandboxCall(url: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<unknown> {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${url} → ${response.status} ${await response.text()}`);
  const text = await response.text();
  return text ? JSON.parse(text) : undefined;
}

export interface FinishedRun {
  id: string;
  status: string;
  counts: Record<string, number>;
  error: string | null;
}

/** Queues a manual sync of the account (as POST …/sync does) and waits until that run ended, completed or failed. */
export async function syncAndWait(dataSource: DataSource, accountId: string): Promise<FinishedRun> {
  const { id } = (await new SyncQueueRepository(dataSource).queueManualSync(accountId)).run;
  return { id, ...(await waitForRun(dataSource, id)) };
}

export interface PollerStack {
  sandbox: RunningSandbox;
  tenant: TenantCredentials;
  database: ThrowawayDatabase;
  dataSource: DataSource;
  accountId: string;
  /** The poller running now (`restartPoller` replaces it). */
  poller: INestApplicationContext;
  /** The account's first run, queued by the scheduler when the poller started, once it ended. */
  initial: FinishedRun;
  /** Closes the poller and starts it again with `extra` over the stack's poller environment. */
  restartPoller(extra: Record<string, string>): Promise<void>;
  /** Closes the poller and the data source, drops the database and closes the sandbox (each only if it was started). */
  stop(): Promise<void>;
}

/**
 * A sandbox with one tenant (rate limits off), a migrated database of its own with an account connected to that
 * tenant (by `connectAccount`, or by `connect`, which returns the account id), and the poller in this process (`env`
 * over `pollerEnv`); returns once the account's first run ended.
 */
export async function startPollerStack(options: {
  label: string;
  sandboxTenant: CreateTenantOptions;
  env?: Record<string, string>;
  connect?: (ready: { database: ThrowawayDatabase; dataSource: DataSource; tenant: TenantCredentials }) => Promise<string>;
}): Promise<PollerStack> {
  let sandbox: RunningSandbox | undefined;
  let opened: { database: ThrowawayDatabase; dataSource: DataSource } | undefined;
  let poller: INestApplicationContext | undefined;
  const stop = async (): Promise<void> => {
    await poller?.close();
    await opened?.dataSource.destroy();
    await opened?.database.drop();
    await sandbox?.close();
  };
  try {
    sandbox = await startSandbox({ port: 0 });
    const tenant = sandbox.createTenant({ rate_limit_profile: 'off', ...options.sandboxTenant });
    opened = await pollerDatabase(options.label);
    const { database, dataSource } = opened;
    const accountId = options.connect ? await options.connect({ database, dataSource, tenant }) : await connectAccount(dataSource, tenant);
    const sandboxUrl = sandbox.url;
    poller = await startPollerInProcess(pollerEnv(database.url, sandboxUrl, options.env));
    const stack: PollerStack = {
      sandbox,
      tenant,
      database,
      dataSource,
      accountId,
      poller,
      initial: await initialRun(dataSource, accountId),
      restartPoller: async (extra) => {
        await poller?.close();
        poller = undefined;
        poller = await startPollerInProcess(pollerEnv(database.url, sandboxUrl, { ...options.env, ...extra }));
        stack.poller = poller;
      },
      stop,
    };
    return stack;
  } catch (error) {
    await stop();
    throw error;
  }
}
