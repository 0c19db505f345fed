import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runMigrations } from '@kb4/persistence';
import { ensureConsoleBuilt } from './local-stack/console-build';
import { demoTenantCredentials, ensureDemoAccount, localAdminToken, localAuditCheckpointKey, localCredentialsKey, SandboxTenant } from './local-stack/demo-account';
import { EmbeddedKafka, startEmbeddedKafka } from './local-stack/embedded-kafka';
import { GATEWAY_NODE_OPTIONS } from './local-stack/node-options';
import { startLocalPostgres } from './local-stack/postgres';
import { DEFAULT_RESTART_POLICY, describeExit, restartDelayMs, spawnService, SupervisedService, waitForHttp } from './local-stack/supervised-process';

/**
 * `npm start`: the whole system on one machine — Postgres (or an embedded one), a Kafka-protocol broker (or
 * KAFKA_BROKERS), the KnowBe4 sandbox with a demo tenant, and the gateway, poller, provisioner, webhook dispatcher and automations.
 * It supervises what it started: a crashed service is started again with backoff (the sandbox with the same demo
 * tenant, a dead embedded broker replaced and the services moved to it), and the stack stays up.
 * Ctrl-C stops everything it started, also while a restart is pending.
 */
const root = resolve(__dirname, '..');
const localDir = resolve(process.env.KB4_LOCAL_DIR ?? join(root, '.local'));
const log = (line: string): void => void process.stdout.write(`${line}\n`);

const ports = {
  gateway: Number(process.env.GATEWAY_PORT ?? 3000),
  poller: Number(process.env.POLLER_PORT ?? 3001),
  provisioner: Number(process.env.PROVISIONER_PORT ?? 3002),
  'webhook-dispatcher': Number(process.env.WEBHOOK_DISPATCHER_PORT ?? 3003),
  automations: Number(process.env.AUTOMATIONS_PORT ?? 3004),
  sandbox: Number(process.env.SANDBOX_PORT ?? 4010),
};
const demoUsers = Number(process.env.DEMO_USERS ?? 300);
const cleanups: Array<() => Promise<void>> = [];
const services: SupervisedService[] = [];
let stopping = false;
let kafka: EmbeddedKafka | undefined;
let kafkaBrokers = '';
let writeSummary: () => void = () => undefined;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    log('stopping…');
    await Promise.all(services.map((s) => s.stop()));
    for (const cleanup of cleanups.reverse()) await cleanup().catch((e: Error) => log(`cleanup failed: ${e.message}`));
    log('stopped');
  }
  process.exit(code);
}

function supervise(service: SupervisedService): SupervisedService {
  services.push(service);
  return service;
}

function watchKafka(broker: EmbeddedKafka): void {
  broker.process.once('exit', (code, signal) => {
    if (stopping || kafka !== broker) return;
    void replaceKafka(describeExit(code, signal));
  });
}

/**
 * The embedded broker died: its topics (and the consumer group offsets) were in its memory. A new broker, every
 * service moved to it; commands that were only in the old broker are re-published by the gateway's reconciler.
 */
async function replaceKafka(exit: string): Promise<void> {
  log(`embedded Kafka broker exited (${exit}); starting a new one (its topics were in memory: the gateway re-publishes unfinished commands from Postgres)`);
  for (let attempt = 1; !stopping; attempt++) {
    try {
      const next = await startEmbeddedKafka();
      if (stopping) return void (await next.stop());
      kafka = next;
      kafkaBrokers = next.brokers;
      watchKafka(next);
      log(`kafka: embedded Kafka-protocol broker at ${kafkaBrokers} (pid ${next.process.pid})`);
      break;
    } catch (error) {
      const delay = restartDelayMs(attempt, DEFAULT_RESTART_POLICY);
      log(`a new embedded Kafka broker did not start (${(error as Error).message}); trying again in ${delay / 1000} s`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  if (stopping) return;
  writeSummary();
  await Promise.all(services.filter((s) => s.name !== 'sandbox').map((s) => s.replace(`new Kafka broker at ${kafkaBrokers}`)));
}

function checkSettings(): void {
  for (const [name, port] of Object.entries(ports)) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${name} port must be 1-65535, got ${port}`);
  }
  if (!Number.isInteger(demoUsers) || demoUsers < 0) throw new Error(`DEMO_USERS must be a whole number, got ${process.env.DEMO_USERS}`);
}

async function startDatabase(): Promise<string> {
  const postgres = await startLocalPostgres({ url: process.env.DATABASE_URL, localDir, log });
  cleanups.push(() => postgres.stop());
  log(`postgres: ${postgres.embedded ? 'embedded' : 'server'} at ${new URL(postgres.url).host}`);
  await runMigrations(postgres.url);
  return postgres.url;
}

/** The embedded broker unless KAFKA_BROKERS names one; true when embedded. */
async function startKafka(): Promise<boolean> {
  const embeddedKafka = !process.env.KAFKA_BROKERS;
  if (embeddedKafka) {
    kafka = await startEmbeddedKafka();
    cleanups.push(async () => kafka?.stop());
    watchKafka(kafka);
    kafkaBrokers = kafka.brokers;
    log(`kafka: embedded Kafka-protocol broker at ${kafkaBrokers} (pid ${kafka.process.pid})`);
  } else {
    kafkaBrokers = process.env.KAFKA_BROKERS ?? '';
    log(`kafka: ${kafkaBrokers}`);
  }
  return embeddedKafka;
}

async function startSandbox(): Promise<{ sandboxUrl: string; tenant: SandboxTenant }> {
  // The sandbox is in memory: each (re)start seeds the demo tenant with the same credentials before it serves.
  const credentials = demoTenantCredentials(localDir);
  const sandbox = supervise(
    new SupervisedService(
      'sandbox',
      () =>
        spawnService('sandbox', 'apps/knowbe4-sandbox/src/main.ts', {
          cwd: root,
          args: ['--port', String(ports.sandbox), '--tenants', '1', '--seed', '1', '--users', String(demoUsers), '--region', 'us'],
          env: { SANDBOX_TENANT_REPORTING_API_KEY: credentials.reporting_api_key, SANDBOX_TENANT_SCIM_TOKEN: credentials.scim_token },
          // the sandbox prints its tenants' keys; they are in .local/demo.json, not in this output
          echo: (line) => /API key|SCIM token/.test(line) || log(line),
        }),
      {
        log,
        afterRestart: async (child) => {
          await child.firstJsonLine;
          log(`sandbox is back: its in-memory data was reset; the demo tenant was re-created with the same credentials (${demoUsers} demo users)`);
        },
      },
    ),
  );
  const handshake = await sandbox.start().firstJsonLine;
  return { sandboxUrl: String(handshake.sandbox_url), tenant: (handshake.tenants as SandboxTenant[])[0] };
}

/** A function: a restarted service gets the broker list of that moment. */
function serviceEnvironment(databaseUrl: string, credentialsKey: string, sandboxUrl: string, embeddedKafka: boolean): () => NodeJS.ProcessEnv {
  return () => ({
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: kafkaBrokers,
    CREDENTIALS_KEY: credentialsKey,
    KNOWBE4_BASE_URL_OVERRIDE: sandboxUrl,
    GATEWAY_PORT: String(ports.gateway),
    POLLER_PORT: String(ports.poller),
    PROVISIONER_PORT: String(ports.provisioner),
    WEBHOOK_DISPATCHER_PORT: String(ports['webhook-dispatcher']),
    AUTOMATIONS_PORT: String(ports.automations),
    // the local demo's webhook receivers are on this machine, over plain http (gateway and dispatcher read these)
    WEBHOOKS_ALLOW_HTTP: process.env.WEBHOOKS_ALLOW_HTTP ?? 'true',
    WEBHOOKS_ALLOW_PRIVATE: process.env.WEBHOOKS_ALLOW_PRIVATE ?? 'true',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    // Enough attempts to outlast a sandbox restart (its backoff and boot), so a write in flight then still succeeds.
    PROVISIONER_MAX_ATTEMPTS: process.env.PROVISIONER_MAX_ATTEMPTS ?? '10',
    // The embedded broker keeps a killed provisioner in its group until the session expires (it ignores kafkajs's
    // LeaveGroup), and a restarted one waits for that: a short session gets it back to work sooner.
    ...(embeddedKafka ? { PROVISIONER_SESSION_TIMEOUT_MS: process.env.PROVISIONER_SESSION_TIMEOUT_MS ?? '10000', PROVISIONER_HEARTBEAT_INTERVAL_MS: process.env.PROVISIONER_HEARTBEAT_INTERVAL_MS ?? '1000' } : {}),
    ...(embeddedKafka ? { AUTOMATIONS_SESSION_TIMEOUT_MS: process.env.AUTOMATIONS_SESSION_TIMEOUT_MS ?? '10000', AUTOMATIONS_HEARTBEAT_INTERVAL_MS: process.env.AUTOMATIONS_HEARTBEAT_INTERVAL_MS ?? '1000' } : {}),
    ...(embeddedKafka ? { WEBHOOK_SESSION_TIMEOUT_MS: process.env.WEBHOOK_SESSION_TIMEOUT_MS ?? '10000', WEBHOOK_HEARTBEAT_INTERVAL_MS: process.env.WEBHOOK_HEARTBEAT_INTERVAL_MS ?? '1000' } : {}),
  });
}

async function startServices(serviceEnv: () => NodeJS.ProcessEnv, adminToken: string): Promise<void> {
  // the poller's garbage is mostly short-lived page buffers: a capped heap keeps its RSS flat (see apps/poller); the
  // gateway's too (a 100k-row roster plan allocates ~1.5 GB of short-lived rows; uncapped, V8 lets the heap grow to 4× live)
  const nodeOptions: Record<string, string> = {
    poller: process.env.POLLER_NODE_OPTIONS ?? '--max-old-space-size=192',
    gateway: process.env.GATEWAY_NODE_OPTIONS ?? GATEWAY_NODE_OPTIONS,
  };
  // only the gateway gets the operator token and the key that signs audit checkpoints
  const ownEnv: Record<string, NodeJS.ProcessEnv> = {
    gateway: { ADMIN_TOKEN: adminToken, AUDIT_CHECKPOINT_KEY: process.env.AUDIT_CHECKPOINT_KEY ?? localAuditCheckpointKey(localDir) },
  };
  const healthUrl = (name: 'gateway' | 'poller' | 'provisioner' | 'webhook-dispatcher' | 'automations'): string => `http://127.0.0.1:${ports[name]}/health/ready`;
  const started = (['gateway', 'poller', 'provisioner', 'webhook-dispatcher', 'automations'] as const).map((name) => {
    const service = supervise(
      new SupervisedService(
        name,
        () =>
          spawnService(name, `apps/${name}/src/main.ts`, {
            cwd: root,
            env: { ...serviceEnv(), ...ownEnv[name], ...(nodeOptions[name] ? { NODE_OPTIONS: nodeOptions[name] } : {}) },
            echo: log,
          }),
        {
          log,
          afterRestart: async (child) => {
            await waitForHttp(healthUrl(name), child, 120_000);
            log(`${name} is ready again`);
          },
        },
      ),
    );
    return { name, process: service.start() };
  });
  await Promise.all(started.map(({ name, process: child }) => waitForHttp(healthUrl(name), child)));
}

function announce(databaseUrl: string, sandboxUrl: string, tenant: SandboxTenant, demo: Awaited<ReturnType<typeof ensureDemoAccount>>, adminToken: string): void {
  const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
  const summary = () => ({
    gateway_url: gatewayUrl,
    api_key: demo.api_key,
    admin_token: adminToken,
    workspace_id: demo.workspace_id,
    integrated_account_id: demo.integrated_account_id,
    sandbox_url: sandboxUrl,
    region: tenant.region,
    reporting_base_url: tenant.reporting_base_url,
    reporting_api_key: tenant.reporting_api_key,
    scim_base_url: tenant.scim_base_url,
    scim_token: tenant.scim_token,
    kafka_brokers: kafkaBrokers,
    database_url: databaseUrl,
  });
  writeSummary = () => writeFileSync(join(localDir, 'demo.json'), `${JSON.stringify(summary(), null, 2)}\n`, { mode: 0o600 });
  writeSummary();
  log(
    [
      '',
      'kb4-directory is running',
      `  gateway          ${gatewayUrl}`,
      `  swagger          ${gatewayUrl}/docs`,
      `  console          ${gatewayUrl}/console/  (sign in with the demo API key)`,
      `  demo API key     ${demo.api_key}  (every scope)`,
      `  admin token      in ${join(localDir, 'demo.json')} (admin_token): ${gatewayUrl}/admin/workspaces, npm run cli -- workspace list`,
      `  workspace        ${demo.workspace_id}`,
      `  account          ${demo.integrated_account_id}`,
      `  sandbox          ${sandboxUrl}  (KnowBe4 emulator, ${demoUsers} demo users, region ${tenant.region})`,
      `  poller health    http://127.0.0.1:${ports.poller}/health/ready`,
      `  provisioner      http://127.0.0.1:${ports.provisioner}/health/ready`,
      `  webhooks         http://127.0.0.1:${ports['webhook-dispatcher']}/health/ready  (dispatcher; receivers on this machine allowed)`,
      `  automations      http://127.0.0.1:${ports.automations}/health/ready  (new hires, group mapping rules)`,
      `  kafka            ${kafkaBrokers}`,
      `  written to       ${join(localDir, 'demo.json')}`,
      '',
      `try: curl -H "Authorization: Bearer ${demo.api_key}" ${gatewayUrl}/health/ready`,
      'A service that crashes is started again; Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  checkSettings();
  mkdirSync(localDir, { recursive: true });
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  // the console is static files the gateway serves at /console; built here when missing or older than its sources
  const consoleBuilt = ensureConsoleBuilt(root, log);
  consoleBuilt.catch(() => undefined); // awaited below; a failure is reported there
  const databaseUrl = await startDatabase();
  await consoleBuilt;
  const embeddedKafka = await startKafka();
  const { sandboxUrl, tenant } = await startSandbox();
  const credentialsKey = process.env.CREDENTIALS_KEY ?? localCredentialsKey(localDir);
  const adminToken = process.env.ADMIN_TOKEN ?? localAdminToken(localDir);
  const demo = await ensureDemoAccount({ localDir, databaseUrl, credentialsKey, tenant });
  await startServices(serviceEnvironment(databaseUrl, credentialsKey, sandboxUrl, embeddedKafka), adminToken);
  announce(databaseUrl, sandboxUrl, tenant, demo, adminToken);
}

main().catch((error: Error) => {
  log(`npm start failed: ${error.message}`);
  void shutdown(1);
});
