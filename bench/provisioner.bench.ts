import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { Pool as HttpPool } from 'undici';
import { ScimClient } from '@kb4/knowbe4';
import { CredentialCipher, createDataSource, IntegratedAccountRepository, runMigrations, WorkspaceRepository } from '@kb4/persistence';
import { startEmbeddedKafka } from '../scripts/local-stack/embedded-kafka';
import { startLocalPostgres } from '../scripts/local-stack/postgres';
import { createThrowawayDatabase } from '../test/support/throwaway-database';
import { startService, type ServiceProcess } from '../test/provisioner/support/provisioning-stack';
import { printReport } from './support/report';
import { startSandboxProcess, type SandboxTenantInfo } from './support/sandbox-process';

/**
 * 2,000 user creates through gateway → outbox → Kafka → provisioner → SCIM, against the same creates sent
 * straight to the sandbox's SCIM by a ScimClient with the same concurrency, in one run. The ratio is
 * commands/s of the pipeline over the direct baseline; also p50/p99 of 202 → succeeded.
 */
const CREATES = Number(process.env.BENCH_CREATES ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
// Real KnowBe4 SCIM answers in tens to hundreds of ms; BENCH_SCIM_LATENCY_MS adds that much to every SCIM call.
const SCIM_LATENCY_MS = Number(process.env.BENCH_SCIM_LATENCY_MS ?? 0);

const log = (line: string): void => void process.stderr.write(`${line}\n`);

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function createTenant(sandboxUrl: string, seed: number): Promise<SandboxTenantInfo> {
  const response = await fetch(`${sandboxUrl}/_sandbox/tenants`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ seed, users: 10, region: 'us', rate_limit_profile: 'off' }),
  });
  if (!response.ok) throw new Error(`sandbox refused a tenant: ${response.status}`);
  return (await response.json()) as SandboxTenantInfo;
}

async function setLatency(sandboxUrl: string, ms: number): Promise<void> {
  if (ms <= 0) return;
  await fetch(`${sandboxUrl}/_sandbox/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ rules: [{ path_prefix: '/scim/v2', latency_ms: ms }] }),
  });
}

const userBody = (prefix: string, i: number): { username: string; first_name: string; last_name: string; department: string } => ({
  username: `${prefix}.${i}@bench.example.com`,
  first_name: `First${i}`,
  last_name: `Last${i}`,
  department: ['Sales', 'Engineering', 'Finance', 'Support'][i % 4],
});

async function runWorkers(count: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/** Baseline: the same creates, straight to SCIM with ScimClient, `CONCURRENCY` at a time. */
async function direct(tenant: SandboxTenantInfo): Promise<{ perSecond: number; seconds: number }> {
  const client = new ScimClient({ baseUrl: tenant.scim_base_url, token: tenant.scim_token, pacer: 'off' });
  const started = process.hrtime.bigint();
  await runWorkers(CREATES, CONCURRENCY, async (i) => {
    const user = userBody('direct', i);
    await client.createUser({ userName: user.username, name: { givenName: user.first_name, familyName: user.last_name }, emails: [{ value: user.username, primary: true, type: 'work' }], active: true, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: user.department } });
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { perSecond: CREATES / seconds, seconds };
}

async function pipeline(gatewayUrl: string, apiKey: string, accountId: string, databaseUrl: string): Promise<{ perSecond: number; seconds: number; p50: number; p99: number; failed: number }> {
  const http = new HttpPool(gatewayUrl, { connections: CONCURRENCY });
  const acceptedAt = new Map<string, number>();
  const started = Date.now();
  await runWorkers(CREATES, CONCURRENCY, async (i) => {
    const response = await http.request({
      method: 'POST',
      path: `/unified/user-directory/users?integrated_account_id=${accountId}`,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(userBody('pipeline', i)),
    });
    const body = (await response.body.json()) as { id: string };
    if (response.statusCode !== 202) throw new Error(`gateway answered ${response.statusCode}: ${JSON.stringify(body)}`);
    acceptedAt.set(body.id, Date.now());
  });
  const submitted = Date.now();
  await http.close();
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  try {
    for (;;) {
      const { rows } = await pg.query<{ open: string }>(`SELECT count(*) AS open FROM operations WHERE status IN ('queued', 'running')`);
      if (Number(rows[0].open) === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const { rows } = await pg.query<{ id: string; status: string; finished: string }>(
      `SELECT id, status, (extract(epoch FROM finished_at) * 1000)::float8 AS finished FROM operations`,
    );
    const finishedLast = Math.max(...rows.map((row) => Number(row.finished)));
    const latencies = rows.map((row) => Number(row.finished) - (acceptedAt.get(row.id) ?? NaN)).filter(Number.isFinite).sort((a, b) => a - b);
    const seconds = (finishedLast - started) / 1000;
    log(`pipeline: submitted ${CREATES} in ${((submitted - started) / 1000).toFixed(2)} s, all finished after ${seconds.toFixed(2)} s`);
    return {
      perSecond: CREATES / seconds,
      seconds,
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      failed: rows.filter((row) => row.status !== 'succeeded').length,
    };
  } finally {
    await pg.end();
  }
}

async function main(): Promise<void> {
  const postgres = await startLocalPostgres({ url: process.env.DATABASE_URL, localDir: join(resolve(__dirname, '..'), '.local'), log });
  const admin = new URL(postgres.url);
  admin.pathname = '/postgres';
  process.env.TEST_DATABASE_ADMIN_URL ??= admin.toString();
  const kafka = process.env.KAFKA_BROKERS ? undefined : await startEmbeddedKafka();
  const brokers = process.env.KAFKA_BROKERS ?? kafka!.brokers;
  const database = await createThrowawayDatabase(`kb4_bench_provisioner_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`);
  const sandbox = await startSandboxProcess(['--tenants', '0', '--rate-limit', 'off']);
  const services: ServiceProcess[] = [];
  try {
    await runMigrations(database.url);
    await setLatency(sandbox.url, SCIM_LATENCY_MS);
    const [baselineTenant, pipelineTenant] = [await createTenant(sandbox.url, 101), await createTenant(sandbox.url, 202)];
    const credentialsKey = CredentialCipher.generateKey();
    const dataSource = await createDataSource(database.url).initialize();
    const workspaces = new WorkspaceRepository(dataSource);
    const workspace = await workspaces.createWorkspace('bench');
    const { key: apiKey } = await workspaces.issueApiKey(workspace.id, 'bench');
    const account = await new IntegratedAccountRepository(dataSource, new CredentialCipher(credentialsKey)).connect({
      workspaceId: workspace.id,
      label: 'bench tenant',
      region: 'us',
      credentials: { reporting_api_key: pipelineTenant.reporting_api_key, scim_token: pipelineTenant.scim_token },
      scimBaseUrl: pipelineTenant.scim_base_url,
    });
    await dataSource.destroy();

    log(`baseline: ${CREATES} SCIM creates straight to the sandbox, concurrency ${CONCURRENCY}, added latency ${SCIM_LATENCY_MS} ms`);
    const baseline = await direct(baselineTenant);

    const env = {
      DATABASE_URL: database.url,
      KAFKA_BROKERS: brokers,
      CREDENTIALS_KEY: credentialsKey,
      KNOWBE4_BASE_URL_OVERRIDE: sandbox.url,
      API_RATE_LIMIT_PER_MINUTE: '10000000',
      PROVISIONER_CONCURRENCY: String(CONCURRENCY),
      PROVISIONER_CONSUMER_GROUP: `kb4-provisioner-bench-${randomBytes(3).toString('hex')}`,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
    };
    services.push(...(await Promise.all([startService('gateway', env), startService('provisioner', env)])));
    log(`pipeline: ${CREATES} POST /unified/user-directory/users, ${CONCURRENCY} clients, provisioner concurrency ${CONCURRENCY}`);
    const measured = await pipeline(services[0].url, apiKey, account.id, database.url);
    const ratio = measured.perSecond / baseline.perSecond;
    printReport(
      `bench:provisioner — ${CREATES} user creates, concurrency ${CONCURRENCY}, SCIM latency +${SCIM_LATENCY_MS} ms`,
      [
        { path: 'direct SCIM (ScimClient → sandbox)', 'commands/s': baseline.perSecond.toFixed(1), seconds: baseline.seconds.toFixed(2), 'p50 202→succeeded ms': '-', 'p99 202→succeeded ms': '-' },
        {
          path: 'gateway → outbox → Kafka → provisioner → SCIM',
          'commands/s': measured.perSecond.toFixed(1),
          seconds: measured.seconds.toFixed(2),
          'p50 202→succeeded ms': measured.p50.toFixed(0),
          'p99 202→succeeded ms': measured.p99.toFixed(0),
        },
      ],
      {
        bench: 'provisioner',
        metric: 'user creates/s through gateway+Kafka+provisioner ÷ creates/s straight to SCIM at the same concurrency',
        ratio,
        goal: '>= 0.7',
        creates: CREATES,
        concurrency: CONCURRENCY,
        scim_latency_ms: SCIM_LATENCY_MS,
        direct_per_s: Number(baseline.perSecond.toFixed(1)),
        pipeline_per_s: Number(measured.perSecond.toFixed(1)),
        p50_ms_202_to_succeeded: Math.round(measured.p50),
        p99_ms_202_to_succeeded: Math.round(measured.p99),
        failed: measured.failed,
      },
    );
  } finally {
    await Promise.all(services.map((service) => service.stop()));
    await sandbox.stop();
    await database.drop().catch(() => undefined);
    await kafka?.stop();
    await postgres.stop();
  }
}

main().catch((error: Error) => {
  log(`bench:provisioner failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
