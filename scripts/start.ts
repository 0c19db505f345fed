import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runMigrations } from '@kb4/persistence';
import { createSandboxTenant, demoTenantCredentials, ensureDemoAccount, localCredentialsKey } from './local-stack/demo-account';
import { startEmbeddedKafka } from './local-stack/embedded-kafka';
import { startLocalPostgres } from './local-stack/postgres';
import { spawnService, SupervisedProcess, waitForHttp } from './local-stack/supervised-process';

/**
 * `npm start`: the whole system on one machine — Postgres (or an embedded one), a Kafka-protocol broker (or
 * KAFKA_BROKERS), the KnowBe4 sandbox with a demo tenant, and the gateway, poller and provisioner.
 * Ctrl-C stops everything it started.
 */
const root = resolve(__dirname, '..');
const localDir = resolve(process.env.KB4_LOCAL_DIR ?? join(root, '.local'));
const log = (line: string): void => void process.stdout.write(`${line}\n`);

const ports = {
  gateway: Number(process.env.GATEWAY_PORT ?? 3000),
  poller: Number(process.env.POLLER_PORT ?? 3001),
  provisioner: Number(process.env.PROVISIONER_PORT ?? 3002),
  sandbox: Number(process.env.SANDBOX_PORT ?? 4010),
};
const demoUsers = Number(process.env.DEMO_USERS ?? 300);
const cleanups: Array<() => Promise<void>> = [];
const services: SupervisedProcess[] = [];
let stopping = false;

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

function supervise(service: SupervisedProcess): SupervisedProcess {
  services.push(service);
  log(`${service.name} started (pid ${service.child.pid})`);
  service.child.once('exit', (code, signal) => {
    if (stopping) return;
    log(`${service.name} exited unexpectedly (code ${code}, signal ${signal}); stopping the stack`);
    void shutdown(1);
  });
  return service;
}

async function main(): Promise<void> {
  for (const [name, port] of Object.entries(ports)) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${name} port must be 1-65535, got ${port}`);
  }
  if (!Number.isInteger(demoUsers) || demoUsers < 0) throw new Error(`DEMO_USERS must be a whole number, got ${process.env.DEMO_USERS}`);
  mkdirSync(localDir, { recursive: true });
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  const postgres = await startLocalPostgres({ url: process.env.DATABASE_URL, localDir, log });
  cleanups.push(() => postgres.stop());
  log(`postgres: ${postgres.embedded ? 'embedded' : 'server'} at ${new URL(postgres.url).host}`);
  await runMigrations(postgres.url);

  let kafkaBrokers = process.env.KAFKA_BROKERS;
  if (!kafkaBrokers) {
    const kafka = await startEmbeddedKafka();
    cleanups.push(() => kafka.stop());
    kafka.process.once('exit', () => !stopping && (log('embedded Kafka broker died; stopping the stack'), void shutdown(1)));
    kafkaBrokers = kafka.brokers;
    log(`kafka: embedded Kafka-protocol broker at ${kafkaBrokers} (pid ${kafka.process.pid})`);
  } else {
    log(`kafka: ${kafkaBrokers}`);
  }

  const sandbox = supervise(
    spawnService('sandbox', 'apps/knowbe4-sandbox/src/main.ts', {
      cwd: root,
      args: ['--port', String(ports.sandbox), '--tenants', '0'],
      echo: log,
    }),
  );
  const handshake = await sandbox.firstJsonLine;
  const sandboxUrl = String(handshake.sandbox_url);
  const credentials = demoTenantCredentials(localDir);
  const tenant = await createSandboxTenant(sandboxUrl, { seed: 1, users: demoUsers, region: 'us', ...credentials });

  const credentialsKey = process.env.CREDENTIALS_KEY ?? localCredentialsKey(localDir);
  const demo = await ensureDemoAccount({ localDir, databaseUrl: postgres.url, credentialsKey, tenant });

  const serviceEnv: NodeJS.ProcessEnv = {
    DATABASE_URL: postgres.url,
    KAFKA_BROKERS: kafkaBrokers,
    CREDENTIALS_KEY: credentialsKey,
    KNOWBE4_BASE_URL_OVERRIDE: sandboxUrl,
    GATEWAY_PORT: String(ports.gateway),
    POLLER_PORT: String(ports.poller),
    PROVISIONER_PORT: String(ports.provisioner),
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  };
  // the poller's garbage is mostly short-lived page buffers: a capped heap keeps its RSS flat (see apps/poller)
  const nodeOptions: Record<string, string> = { poller: process.env.POLLER_NODE_OPTIONS ?? '--max-old-space-size=192' };
  const started = (['gateway', 'poller', 'provisioner'] as const).map((name) =>
    supervise(
      spawnService(name, `apps/${name}/src/main.ts`, {
        cwd: root,
        env: nodeOptions[name] ? { ...serviceEnv, NODE_OPTIONS: nodeOptions[name] } : serviceEnv,
        echo: log,
      }),
    ),
  );
  await Promise.all(started.map((service) => waitForHttp(`http://127.0.0.1:${ports[service.name as keyof typeof ports]}/health/ready`, service)));

  const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
  const summary = {
    gateway_url: gatewayUrl,
    api_key: demo.api_key,
    workspace_id: demo.workspace_id,
    integrated_account_id: demo.integrated_account_id,
    sandbox_url: sandboxUrl,
    region: tenant.region,
    reporting_base_url: tenant.reporting_base_url,
    reporting_api_key: tenant.reporting_api_key,
    scim_base_url: tenant.scim_base_url,
    scim_token: tenant.scim_token,
    kafka_brokers: kafkaBrokers,
    database_url: postgres.url,
  };
  writeFileSync(join(localDir, 'demo.json'), `${JSON.stringify(summary, null, 2)}\n`, { mode: 0o600 });
  log(
    [
      '',
      'kb4-directory is running',
      `  gateway          ${gatewayUrl}`,
      `  swagger          ${gatewayUrl}/docs`,
      `  demo API key     ${demo.api_key}`,
      `  workspace        ${demo.workspace_id}`,
      `  account          ${demo.integrated_account_id}`,
      `  sandbox          ${sandboxUrl}  (KnowBe4 emulator, ${demoUsers} demo users, region ${tenant.region})`,
      `  poller health    http://127.0.0.1:${ports.poller}/health/ready`,
      `  provisioner      http://127.0.0.1:${ports.provisioner}/health/ready`,
      `  kafka            ${kafkaBrokers}`,
      `  written to       ${join(localDir, 'demo.json')}`,
      '',
      `try: curl -H "Authorization: Bearer ${demo.api_key}" ${gatewayUrl}/health/ready`,
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

main().catch((error: Error) => {
  log(`npm start failed: ${error.message}`);
  void shutdown(1);
});
