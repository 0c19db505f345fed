import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Agent, request } from 'undici';
import { ReportingClient } from '@kb4/knowbe4';
import {
  CredentialCipher,
  createDataSource,
  IntegratedAccountEntity,
  IntegratedAccountRepository,
  MirrorWriteRepository,
  OutboxRepository,
  runMigrations,
  SnapshotRepository,
  SyncRunRepository,
  WorkspaceRepository,
} from '@kb4/persistence';
import { createLogger } from '@kb4/platform';
import { DataSource } from 'typeorm';
import { AccountSync, SyncDependencies } from '../apps/poller/src/sync/account-sync';
import { startLocalPostgres } from '../scripts/local-stack/postgres';
import { printReport } from './support/report';
import { startSandboxProcess } from './support/sandbox-process';

/**
 * bench:poller — a 100k-user sandbox tenant (rate profile off), in one run:
 *   (a) baseline: a bare undici loop that only fetches every page a sync reads (groups, users, enrollments);
 *   (b) the first full sync (baseline `created` events), (c) a no-change resync, (d) a resync after 1% of the
 *   users changed (sandbox mutations). Each sync is the poller's AccountSync against Postgres; the relay is
 *   not running (publishing is measured by the Kafka side, not here). Peak RSS is sampled every 50 ms.
 */
const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const PER_PAGE = 500;

async function bareLoop(baseUrl: string, apiKey: string, dispatcher: Agent): Promise<number> {
  let records = 0;
  for (const path of ['/groups', '/users', '/training/enrollments']) {
    for (let page = 1; ; page++) {
      const response = await request(`${baseUrl}${path}?page=${page}&per_page=${PER_PAGE}`, { headers: { authorization: `Bearer ${apiKey}` }, dispatcher });
      const body = (await response.body.json()) as unknown[];
      if (response.statusCode !== 200) throw new Error(`bare loop got ${response.statusCode}`);
      records += body.length;
      if (body.length < PER_PAGE) break;
    }
  }
  return records;
}

async function measured<T>(run: () => Promise<T>): Promise<{ ms: number; peakRssMb: number; value: T }> {
  global.gc?.();
  let peak = process.memoryUsage().rss;
  let peakDetail = '';
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    if (usage.rss > peak && process.env.BENCH_MEMORY_DETAIL) {
      const mb = (n: number): number => Math.round(n / 2 ** 20);
      peakDetail = `rss ${mb(usage.rss)} heapTotal ${mb(usage.heapTotal)} heapUsed ${mb(usage.heapUsed)} external ${mb(usage.external)} arrayBuffers ${mb(usage.arrayBuffers)}`;
    }
    peak = Math.max(peak, usage.rss);
  }, 50);
  const start = process.hrtime.bigint();
  try {
    const value = await run();
    return { ms: Number(process.hrtime.bigint() - start) / 1e6, peakRssMb: Math.max(peak, process.memoryUsage().rss) / 2 ** 20, value };
  } finally {
    clearInterval(sampler);
    if (peakDetail) process.stderr.write(`peak: ${peakDetail}\n`);
  }
}

/** BENCH_CPU_PROFILE=dir writes a .cpuprofile of the no-change resync (open in Chrome DevTools). */
async function profiled<T>(name: string, run: () => Promise<T>): Promise<T> {
  const dir = process.env.BENCH_CPU_PROFILE;
  if (!dir) return run();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await run();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(join(dir, `poller-${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

async function main(): Promise<void> {
  const postgres = await startLocalPostgres({ url: process.env.DATABASE_URL, localDir: join(tmpdir(), 'kb4-bench-postgres'), log: () => undefined });
  const dbName = `kb4_bench_poller_${Date.now().toString(36)}`;
  const admin = new URL(postgres.url);
  admin.pathname = '/postgres';
  const adminClient = new Client({ connectionString: admin.toString() });
  await adminClient.connect();
  await adminClient.query(`CREATE DATABASE "${dbName}"`);
  const url = new URL(postgres.url);
  url.pathname = `/${dbName}`;
  await runMigrations(url.toString());
  const dataSource: DataSource = await createDataSource(url.toString()).initialize();
  const sandbox = await startSandboxProcess(['--users', String(USERS), '--seed', '42', '--rate-limit', 'off']);
  const tenant = sandbox.tenants[0];
  const dispatcher = new Agent({ connections: 4, keepAliveTimeout: 30_000 });
  try {
    const key = CredentialCipher.generateKey();
    const workspace = await new WorkspaceRepository(dataSource).createWorkspace('bench');
    const accounts = new IntegratedAccountRepository(dataSource, new CredentialCipher(key));
    const connected = await accounts.connect({
      workspaceId: workspace.id,
      label: 'bench',
      region: tenant.region,
      credentials: { reporting_api_key: tenant.reporting_api_key, scim_token: tenant.scim_token },
    });
    const runs = new SyncRunRepository(dataSource);
    const deps: SyncDependencies = {
      dataSource,
      runs,
      snapshot: new SnapshotRepository(dataSource),
      mirror: new MirrorWriteRepository(),
      outbox: new OutboxRepository(dataSource),
      logger: createLogger('bench-poller', 'warn'),
      settings: { owner: 'bench', baselineEvents: 'created', userEventIgnore: ['last_active_at'], syncEnrollments: true, perPage: PER_PAGE, pageConcurrency: Number(process.env.BENCH_PAGE_CONCURRENCY ?? 2), leaseSeconds: 300 },
      createClient: (account, onRequest) =>
        new ReportingClient({ region: account.region, apiKey: accounts.credentialsOf(account).reporting_api_key, baseUrlOverride: sandbox.url, pacer: 'off', onRequest }),
    };
    if (process.env.BENCH_TIME_DB) {
      const original = runs.commitPageIfUnchanged.bind(runs);
      let total = 0;
      let n = 0;
      runs.commitPageIfUnchanged = async (...args) => {
        const t = process.hrtime.bigint();
        try {
          return await original(...args);
        } finally {
          total += Number(process.hrtime.bigint() - t) / 1e6;
          n += 1;
          if (n % 100 === 0) process.stderr.write(`fast path: ${n} pages, ${(total / n).toFixed(2)} ms each\n`);
        }
      };
    }
    const sync = async (): Promise<Record<string, number>> => {
      const account = (await dataSource.getRepository(IntegratedAccountEntity).findOneBy({ id: connected.id }))!;
      const { id } = await runs.requestRun(account.id, 'manual');
      const run = (await runs.takeOver(id, 'bench', 300))!;
      const outcome = await new AccountSync(deps, account, run, new AbortController().signal).execute();
      if (outcome !== 'completed') throw new Error(`sync ended ${outcome}`);
      return (await runs.findById(id))!.counts;
    };

    await bareLoop(tenant.reporting_base_url, tenant.reporting_api_key, dispatcher); // warm-up
    const bare = await measured(() => bareLoop(tenant.reporting_base_url, tenant.reporting_api_key, dispatcher));
    const first = await profiled('first', () => measured(sync));
    const resync = await profiled('resync', () => measured(sync));
    const mutation = await fetch(`${sandbox.url}/_sandbox/tenants/${tenant.id}/mutations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ seed: 7, count: Math.round(USERS / 100) }),
    });
    if (!mutation.ok) throw new Error(`mutations failed: ${mutation.status}`);
    const changed = await measured(sync);

    const row = (name: string, m: { ms: number; peakRssMb: number }, events: number | string) => ({
      step: name,
      'seconds': (m.ms / 1000).toFixed(2),
      'users/s': Math.round((USERS / m.ms) * 1000),
      'x bare': (m.ms / bare.ms).toFixed(2),
      'peak RSS MB': m.peakRssMb.toFixed(0),
      events,
    });
    const ratio = resync.ms / bare.ms;
    printReport(
      `bench:poller — ${USERS} users (+ groups and enrollments), per_page ${PER_PAGE}, sandbox in its own process, rate profile off`,
      [
        row('(a) bare fetch of every page (baseline)', bare, '-'),
        row('(b) first full sync (created baseline)', first, first.value.events_emitted),
        row('(c) no-change resync', resync, resync.value.events_emitted),
        row('(d) resync after 1% changed', changed, changed.value.events_emitted),
      ],
      {
        bench: 'poller',
        metric: 'no-change resync time ÷ bare fetch time of the same pages (100k users)',
        ratio,
        goal: '<= 1.5',
        users: USERS,
        bare_s: Number((bare.ms / 1000).toFixed(2)),
        first_sync_s: Number((first.ms / 1000).toFixed(2)),
        resync_s: Number((resync.ms / 1000).toFixed(2)),
        changed_resync_s: Number((changed.ms / 1000).toFixed(2)),
        changed_events: changed.value.events_emitted,
        peak_rss_mb: Math.round(Math.max(first.peakRssMb, resync.peakRssMb, changed.peakRssMb)),
        rss_goal_mb: 300,
      },
    );
  } finally {
    await dispatcher.close();
    await sandbox.stop();
    await dataSource.destroy();
    if (process.env.BENCH_KEEP_DB) process.stderr.write(`kept database ${url.toString()}\n`);
    else await adminClient.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => undefined);
    await adminClient.end();
    await postgres.stop();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`bench:poller failed: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
