import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { Pool as HttpPool } from 'undici';
import { ScimClient } from '@kb4/knowbe4';
import { CredentialCipher, createDataSource, IntegratedAccountRepository, runMigrations, WorkspaceRepository } from '@kb4/persistence';
import { startEmbeddedKafka } from '../scripts/local-stack/embedded-kafka';
import { startLocalPostgres } from '../scripts/local-stack/postgres';
import { createThrowawayDatabase } from '../test/support/throwaway-database';
import { startService, type ServiceProcess } from '../test/provisioner/support/provisioning-stack';
import { isResponseTimeProfile, RESPONSE_TIME_PROFILES, type ResponseTimeProfile } from '../apps/knowbe4-sandbox/src/http/response-time';
import { printReport } from './support/report';
import { startSandboxProcess, type SandboxTenantInfo } from './support/sandbox-process';

/**
 * 2,000 user creates through gateway → outbox → Kafka → provisioner → SCIM, against the same creates sent
 * straight to the sandbox's SCIM by a ScimClient with the same concurrency, in one run. The ratio is
 * commands/s of the pipeline over the direct baseline; also p50/p99 of 202 → succeeded.
 *
 * Two passes: the goal's pass with the sandbox answering in KnowBe4's recorded server time (`recorded`, median
 * ≈ 200 ms — what calling KnowBe4 directly costs), then an `instant` pass with a zero-latency emulator, where
 * both paths are CPU-bound on this machine; its ratio and the CPU table show what each command costs here.
 */
const CREATES = Number(process.env.BENCH_CREATES ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 200);
// The connection pass: the pipeline alone at this concurrency (clients and provisioner) against KnowBe4's recorded
// response time, counting Postgres connections (issue 16: below 20 at 64). 0 skips it.
const WIDE_CONCURRENCY = Number(process.env.BENCH_WIDE_CONCURRENCY ?? 64);
const CONNECTION_GOAL = 20;
// Real KnowBe4 SCIM answers in tens to hundreds of ms; BENCH_SCIM_LATENCY_MS adds that much to every SCIM call.
const SCIM_LATENCY_MS = Number(process.env.BENCH_SCIM_LATENCY_MS ?? 0);
// BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the gateway and the provisioner there (node --cpu-prof).
const CPU_PROF_ARGS = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
// BENCH_PG_SETTINGS='{"log_statement_stats":"on"}' sets these on the bench's database for every session (profiling Postgres).
const PG_SETTINGS = JSON.parse(process.env.BENCH_PG_SETTINGS ?? '{}') as Record<string, string>;

const log = (line: string): void => void process.stderr.write(`${line}\n`);

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

const CLOCK_TICKS_PER_SECOND = 100;

/** A process group whose CPU time is read from /proc (Linux), so the table shows where each command's CPU goes. */
interface CpuGroup {
  name: string;
  matches(pid: number, cmdline: string): boolean;
}

/** CPU seconds (user + system) per group, summed over the live processes that match it. */
function cpuSeconds(groups: CpuGroup[]): Map<string, number> {
  const totals = new Map(groups.map((group) => [group.name, 0]));
  let pids: number[] = [];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number);
  } catch {
    return totals;
  }
  for (const pid of pids) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const group = groups.find((candidate) => candidate.matches(pid, cmdline));
      if (!group) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[11] and [12] are utime and stime (fields 14 and 15 of proc(5)).
      totals.set(group.name, totals.get(group.name)! + (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND);
    } catch {
      // the process ended meanwhile
    }
  }
  return totals;
}

/** CPU milliseconds per command of each group during `run`. */
async function measureCpu<T>(groups: CpuGroup[], commands: number, run: () => Promise<T>): Promise<{ result: T; msPerCommand: Map<string, number> }> {
  const ownBefore = process.cpuUsage();
  const before = cpuSeconds(groups);
  const result = await run();
  const after = cpuSeconds(groups);
  const own = process.cpuUsage(ownBefore);
  const msPerCommand = new Map<string, number>();
  for (const group of groups) msPerCommand.set(group.name, ((after.get(group.name)! - before.get(group.name)!) * 1000) / commands);
  msPerCommand.set('bench client (this process)', (own.user + own.system) / 1000 / commands);
  return { result, msPerCommand };
}

function printTable(title: string, rows: Array<Record<string, string>>): void {
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ');
  process.stdout.write(`\n${title}\n${line(columns)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const row of rows) process.stdout.write(`${line(columns.map((c) => row[c]))}\n`);
}

/** Counters of this database (pg_stat_database), to show round trips and rows per command. */
async function databaseActivity(databaseUrl: string): Promise<Record<string, number>> {
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  try {
    const { rows } = await pg.query<Record<string, string>>(
      `SELECT sessions, xact_commit, xact_rollback, tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted, blks_hit
         FROM pg_stat_database WHERE datname = current_database()`,
    );
    const tables = await pg.query<{ relname: string; seq_tup_read: string; idx_tup_fetch: string | null }>(
      `SELECT relname, seq_tup_read, idx_tup_fetch FROM pg_stat_all_tables WHERE seq_tup_read + coalesce(idx_tup_fetch, 0) > 0`,
    );
    return {
      ...Object.fromEntries(Object.entries(rows[0]).map(([name, value]) => [name, Number(value)])),
      ...Object.fromEntries(tables.rows.flatMap((row) => [[`${row.relname}.seq_tup_read`, Number(row.seq_tup_read)], [`${row.relname}.idx_tup_fetch`, Number(row.idx_tup_fetch ?? 0)]])),
    };
  } finally {
    await pg.end();
  }
}

async function analyze(databaseUrl: string): Promise<void> {
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  try {
    await pg.query('ANALYZE');
  } finally {
    await pg.end();
  }
}

/** Per-database settings for every later session (auto_explain, log_*_stats) — profiling only. */
async function applyDatabaseSettings(databaseUrl: string, databaseName: string, settings: Record<string, string>): Promise<void> {
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  try {
    for (const [name, value] of Object.entries(settings)) {
      if (!/^[a-z_.]+$/.test(name)) throw new Error(`BENCH_PG_SETTINGS: unsafe setting name ${name}`);
      await pg.query(`ALTER DATABASE "${databaseName}" SET ${name} = ${pg.escapeLiteral(value)}`);
    }
  } finally {
    await pg.end();
  }
}

const loadAverage = (): string => loadavg().map((value) => value.toFixed(2)).join(' ');

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
async function direct(tenant: SandboxTenantInfo, prefix: string, count = CREATES): Promise<{ perSecond: number; seconds: number }> {
  const client = new ScimClient({ baseUrl: tenant.scim_base_url, token: tenant.scim_token, pacer: 'off' });
  const started = process.hrtime.bigint();
  await runWorkers(count, CONCURRENCY, async (i) => {
    const user = userBody(prefix, i);
    await client.createUser({ userName: user.username, name: { givenName: user.first_name, familyName: user.last_name }, emails: [{ value: user.username, primary: true, type: 'work' }], active: true, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: user.department } });
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { perSecond: count / seconds, seconds };
}

async function pipeline(
  gatewayUrl: string,
  apiKey: string,
  accountId: string,
  databaseUrl: string,
  prefix: string,
  count = CREATES,
  concurrency = CONCURRENCY,
): Promise<{ perSecond: number; seconds: number; p50: number; p99: number; failed: number; connections: ConnectionPeak }> {
  const http = new HttpPool(gatewayUrl, { connections: concurrency });
  const acceptedAt = new Map<string, number>();
  const sampler = sampleConnections(databaseUrl);
  const started = Date.now();
  await runWorkers(count, concurrency, async (i) => {
    const response = await http.request({
      method: 'POST',
      path: `/unified/user-directory/users?integrated_account_id=${accountId}`,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(userBody(prefix, i)),
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
      // polled every 100 ms: the pipeline's end is read from finished_at, not from when this loop noticed
      if (Number(rows[0].open) === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const { rows } = await pg.query<{ id: string; status: string; finished: string }>(
      `SELECT id, status, (extract(epoch FROM finished_at) * 1000)::float8 AS finished FROM operations WHERE id = ANY($1::uuid[])`,
      [[...acceptedAt.keys()]],
    );
    const finishedLast = Math.max(...rows.map((row) => Number(row.finished)));
    const latencies = rows.map((row) => Number(row.finished) - (acceptedAt.get(row.id) ?? NaN)).filter(Number.isFinite).sort((a, b) => a - b);
    const seconds = (finishedLast - started) / 1000;
    const connections = await sampler.stop();
    log(`pipeline: submitted ${count} in ${((submitted - started) / 1000).toFixed(2)} s, all finished after ${seconds.toFixed(2)} s; peak Postgres connections ${connections.peak} ${JSON.stringify(connections.atPeak)}`);
    return {
      connections,
      perSecond: count / seconds,
      seconds,
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      failed: rows.filter((row) => row.status !== 'succeeded').length,
    };
  } finally {
    await sampler.stop();
    await pg.end();
  }
}

interface ConnectionPeak {
  /** Most connections to the bench's database seen at once (the sampler's own not counted). */
  peak: number;
  /** By application_name at that moment. */
  atPeak: Record<string, number>;
}

/** Samples pg_stat_activity every 50 ms until stopped: the peak number of connections to this database. */
function sampleConnections(databaseUrl: string): { stop(): Promise<ConnectionPeak> } {
  const pg = new Client({ connectionString: databaseUrl, application_name: 'bench-connection-sampler' });
  const result: ConnectionPeak = { peak: 0, atPeak: {} };
  let running = true;
  const loop = (async () => {
    await pg.connect();
    while (running) {
      const { rows } = await pg.query<{ app: string; n: number }>(
        `SELECT coalesce(nullif(application_name, ''), '(none)') AS app, count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1`,
      );
      const total = rows.reduce((sum, row) => sum + row.n, 0);
      if (total > result.peak) {
        result.peak = total;
        result.atPeak = Object.fromEntries(rows.map((row) => [row.app, row.n]));
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  let stopped: Promise<ConnectionPeak> | undefined;
  return {
    stop: () =>
      (stopped ??= (async () => {
        running = false;
        await loop.catch((error: Error) => log(`connection sampler failed: ${error.message}`));
        await pg.end().catch(() => undefined);
        return result;
      })()),
  };
}

// `recorded`: the sandbox answers after KnowBe4's recorded server time (x-runtime, median ≈ 200 ms); `off`: at once.
const RESPONSE_TIME: ResponseTimeProfile = ((value) => {
  if (!isResponseTimeProfile(value)) throw new Error(`BENCH_RESPONSE_TIME must be one of ${RESPONSE_TIME_PROFILES.join(', ')}`);
  return value;
})(process.env.BENCH_RESPONSE_TIME ?? 'recorded');

async function setResponseTime(sandboxUrl: string, profile: ResponseTimeProfile): Promise<void> {
  const response = await fetch(`${sandboxUrl}/_sandbox/response-time`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ profile }),
  });
  if (!response.ok) throw new Error(`sandbox refused response time ${profile}: ${response.status}`);
}

interface PassContext {
  baselineTenant: SandboxTenantInfo;
  gatewayUrl: string;
  apiKey: string;
  accountId: string;
  databaseUrl: string;
  groups: CpuGroup[];
}

interface PassResult {
  label: string;
  before: { perSecond: number; seconds: number };
  after: { perSecond: number; seconds: number };
  baselinePerSecond: number;
  pipeline: Awaited<ReturnType<typeof pipeline>>;
  ratio: number;
  cpuDirect: Map<string, number>;
  cpuPipeline: Map<string, number>;
}

const totalCpu = (costs: Map<string, number>): number => [...costs.values()].reduce((sum, value) => sum + value, 0);

/**
 * Direct creates, the pipeline's creates, direct creates again: the baseline is both direct runs together, so
 * drift in the machine's load during the pass shows and is shared.
 */
async function comparePaths(label: string, context: PassContext, prefix = 'main'): Promise<PassResult> {
  log(`[${label}] baseline: ${CREATES} SCIM creates straight to the sandbox, concurrency ${CONCURRENCY} (load ${loadAverage()})`);
  const before = await measureCpu(context.groups, CREATES, () => direct(context.baselineTenant, `${prefix}-direct`));
  log(`[${label}] pipeline: ${CREATES} POST /unified/user-directory/users, ${CONCURRENCY} clients, provisioner concurrency ${CONCURRENCY} (load ${loadAverage()})`);
  const statsBefore = await databaseActivity(context.databaseUrl);
  const measured = await measureCpu(context.groups, CREATES, () =>
    pipeline(context.gatewayUrl, context.apiKey, context.accountId, context.databaseUrl, `${prefix}-pipeline`),
  );
  // Backends report their counters at most once a second.
  await new Promise((r) => setTimeout(r, 1_100));
  const statsAfter = await databaseActivity(context.databaseUrl);
  const activity = Object.fromEntries(
    Object.keys(statsAfter)
      .map((name) => [name, Number(((statsAfter[name] - (statsBefore[name] ?? 0)) / CREATES).toFixed(2))] as const)
      .filter(([, perCommand]) => perCommand !== 0),
  );
  log(`[${label}] postgres activity per pipeline command: ${JSON.stringify(activity)}`);
  log(`[${label}] baseline again (load ${loadAverage()})`);
  const after = await direct(context.baselineTenant, `${prefix}-direct-after`);
  const baselinePerSecond = (2 * CREATES) / (before.result.seconds + after.seconds);
  return {
    label,
    before: before.result,
    after,
    baselinePerSecond,
    pipeline: measured.result,
    ratio: measured.result.perSecond / baselinePerSecond,
    cpuDirect: before.msPerCommand,
    cpuPipeline: measured.msPerCommand,
  };
}

function printCpuTable(pass: PassResult): void {
  const cpuRows = [...pass.cpuPipeline.keys()].map((name) => ({
    process: name,
    'direct CPU ms/command': (pass.cpuDirect.get(name) ?? 0).toFixed(3),
    'pipeline CPU ms/command': (pass.cpuPipeline.get(name) ?? 0).toFixed(3),
  }));
  cpuRows.push({ process: 'total', 'direct CPU ms/command': totalCpu(pass.cpuDirect).toFixed(3), 'pipeline CPU ms/command': totalCpu(pass.cpuPipeline).toFixed(3) });
  printTable(`CPU per command by process, ${pass.label} (cores: ${cpus().length}; /proc utime+stime)`, cpuRows);
}

async function main(): Promise<void> {
  const postgres = await startLocalPostgres({ url: process.env.DATABASE_URL, localDir: join(resolve(__dirname, '..'), '.local'), log });
  const admin = new URL(postgres.url);
  admin.pathname = '/postgres';
  process.env.TEST_DATABASE_ADMIN_URL ??= admin.toString();
  const kafka = process.env.KAFKA_BROKERS ? undefined : await startEmbeddedKafka();
  const brokers = process.env.KAFKA_BROKERS ?? kafka!.brokers;
  const databaseName = `kb4_bench_provisioner_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const database = await createThrowawayDatabase(databaseName);
  const sandbox = await startSandboxProcess(['--tenants', '0', '--rate-limit', 'off']);
  const services: ServiceProcess[] = [];
  try {
    await runMigrations(database.url);
    await applyDatabaseSettings(database.url, databaseName, PG_SETTINGS);
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

    const env = {
      DATABASE_URL: database.url,
      KAFKA_BROKERS: brokers,
      CREDENTIALS_KEY: credentialsKey,
      KNOWBE4_BASE_URL_OVERRIDE: sandbox.url,
      API_RATE_LIMIT_PER_MINUTE: '10000000',
      PROVISIONER_CONCURRENCY: String(CONCURRENCY),
      PROVISIONER_CONSUMER_GROUP: `kb4-provisioner-bench-${randomBytes(3).toString('hex')}`,
      // the connection pass restarts the provisioner into the same group: its rejoin waits for the old member's session
      PROVISIONER_SESSION_TIMEOUT_MS: '6000',
      PROVISIONER_HEARTBEAT_INTERVAL_MS: '1000',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
    };
    // Both paths are measured with the same processes running (idle ones cost the baseline a little, not the pipeline).
    services.push(...(await Promise.all([startService('gateway', env, 60_000, CPU_PROF_ARGS), startService('provisioner', env, 60_000, CPU_PROF_ARGS)])));
    const groups: CpuGroup[] = [
      { name: 'sandbox (KnowBe4 SCIM)', matches: (pid) => pid === sandbox.pid },
      { name: 'gateway', matches: (pid) => pid === services[0].child.pid },
      { name: 'provisioner', matches: (pid) => pid === services[1].child.pid },
      { name: 'postgres (this database)', matches: (_pid, cmdline) => cmdline.startsWith('postgres:') && cmdline.includes(` ${databaseName} `) },
      { name: 'kafka broker (embedded)', matches: (pid) => pid === kafka?.process.pid },
    ];

    log(`warm-up: ${WARMUP} creates on each path`);
    await direct(baselineTenant, 'warm-direct', WARMUP);
    await pipeline(services[0].url, apiKey, account.id, database.url, 'warm-pipeline', WARMUP);
    // Planner statistics, as autovacuum keeps them in any database that has been running a while: the write path's
    // prepared statements are planned generically, and against empty-table estimates a generic plan may walk an
    // account-wide index instead of the one its equality conditions name. ANALYZE invalidates those plans.
    await analyze(database.url);

    // The goal's pass: KnowBe4 answering in the time it takes (sandbox profile `recorded`), as a real tenant does.
    await setResponseTime(sandbox.url, RESPONSE_TIME);
    const headline = await comparePaths(`response time ${RESPONSE_TIME}`, { baselineTenant, gatewayUrl: services[0].url, apiKey, accountId: account.id, databaseUrl: database.url, groups });
    // The cost pass: the same comparison with an instant emulator, so the table shows each process's CPU per command.
    const instant =
      RESPONSE_TIME === 'off'
        ? headline
        : await (async () => {
            await setResponseTime(sandbox.url, 'off');
            return comparePaths('response time off (CPU-bound)', { baselineTenant, gatewayUrl: services[0].url, apiKey, accountId: account.id, databaseUrl: database.url, groups }, 'instant');
          })();
    printCpuTable(instant);
    // The connection pass: a provisioner at WIDE_CONCURRENCY, KnowBe4's recorded response time, Postgres connections counted.
    const wide =
      WIDE_CONCURRENCY > 0
        ? await (async () => {
            await setResponseTime(sandbox.url, RESPONSE_TIME);
            await services[1].stop();
            services[1] = await startService('provisioner', { ...env, PROVISIONER_CONCURRENCY: String(WIDE_CONCURRENCY) }, 120_000, CPU_PROF_ARGS);
            log(`[connections] pipeline: ${CREATES} creates, ${WIDE_CONCURRENCY} clients, provisioner concurrency ${WIDE_CONCURRENCY}, response time ${RESPONSE_TIME} (load ${loadAverage()})`);
            return pipeline(services[0].url, apiKey, account.id, database.url, 'wide', CREATES, WIDE_CONCURRENCY);
          })()
        : undefined;
    const load = loadAverage();
    const rows = (pass: PassResult): Array<Record<string, string>> => [
      { path: `direct SCIM, before (${pass.label})`, 'commands/s': pass.before.perSecond.toFixed(1), seconds: pass.before.seconds.toFixed(2), 'p50 202→succeeded ms': '-', 'p99 202→succeeded ms': '-', 'peak Postgres connections': '-' },
      { path: `direct SCIM, after (${pass.label})`, 'commands/s': pass.after.perSecond.toFixed(1), seconds: pass.after.seconds.toFixed(2), 'p50 202→succeeded ms': '-', 'p99 202→succeeded ms': '-', 'peak Postgres connections': '-' },
      {
        path: `gateway → outbox → Kafka → provisioner → SCIM (${pass.label})`,
        'commands/s': pass.pipeline.perSecond.toFixed(1),
        seconds: pass.pipeline.seconds.toFixed(2),
        'p50 202→succeeded ms': pass.pipeline.p50.toFixed(0),
        'p99 202→succeeded ms': pass.pipeline.p99.toFixed(0),
        'peak Postgres connections': String(pass.pipeline.connections.peak),
      },
    ];
    const wideRows: Array<Record<string, string>> = wide
      ? [
          {
            path: `gateway → outbox → Kafka → provisioner → SCIM (response time ${RESPONSE_TIME}, concurrency ${WIDE_CONCURRENCY})`,
            'commands/s': wide.perSecond.toFixed(1),
            seconds: wide.seconds.toFixed(2),
            'p50 202→succeeded ms': wide.p50.toFixed(0),
            'p99 202→succeeded ms': wide.p99.toFixed(0),
            'peak Postgres connections': `${wide.connections.peak} (goal < ${CONNECTION_GOAL})`,
          },
        ]
      : [];
    printReport(
      `bench:provisioner — ${CREATES} user creates, concurrency ${CONCURRENCY}, SCIM latency +${SCIM_LATENCY_MS} ms, load average ${load}`,
      [...rows(headline), ...(instant === headline ? [] : rows(instant)), ...wideRows],
      {
        bench: 'provisioner',
        metric: `user creates/s through gateway+Kafka+provisioner ÷ creates/s straight to SCIM at the same concurrency, sandbox response time ${RESPONSE_TIME}`,
        ratio: headline.ratio,
        goal: '>= 0.7',
        creates: CREATES,
        concurrency: CONCURRENCY,
        sandbox_response_time: RESPONSE_TIME,
        scim_latency_ms: SCIM_LATENCY_MS,
        direct_per_s: Number(headline.baselinePerSecond.toFixed(1)),
        direct_before_per_s: Number(headline.before.perSecond.toFixed(1)),
        direct_after_per_s: Number(headline.after.perSecond.toFixed(1)),
        pipeline_per_s: Number(headline.pipeline.perSecond.toFixed(1)),
        p50_ms_202_to_succeeded: Math.round(headline.pipeline.p50),
        p99_ms_202_to_succeeded: Math.round(headline.pipeline.p99),
        failed: headline.pipeline.failed + instant.pipeline.failed + (wide?.failed ?? 0),
        connections_peak: headline.pipeline.connections.peak,
        instant_ratio: instant.ratio,
        instant_direct_per_s: Number(instant.baselinePerSecond.toFixed(1)),
        instant_pipeline_per_s: Number(instant.pipeline.perSecond.toFixed(1)),
        instant_p99_ms_202_to_succeeded: Math.round(instant.pipeline.p99),
        cpu_ms_per_command_direct: Number(totalCpu(instant.cpuDirect).toFixed(3)),
        cpu_ms_per_command_pipeline: Number(totalCpu(instant.cpuPipeline).toFixed(3)),
        cpu_ms_per_command_by_process: Object.fromEntries([...instant.cpuPipeline].map(([name, ms]) => [name, Number(ms.toFixed(3))])),
        ...(wide
          ? {
              wide_concurrency: WIDE_CONCURRENCY,
              wide_pipeline_per_s: Number(wide.perSecond.toFixed(1)),
              wide_p99_ms_202_to_succeeded: Math.round(wide.p99),
              wide_connections_peak: wide.connections.peak,
              wide_connections_at_peak: wide.connections.atPeak,
              wide_connections_goal: `< ${CONNECTION_GOAL}`,
            }
          : {}),
        load_average: load,
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
