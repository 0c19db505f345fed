import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { CredentialCipher, createDataSource, IntegratedAccountRepository, WorkspaceRepository } from '@kb4/persistence';
import { DataSource } from 'typeorm';
import { startBenchDatabase } from './support/bench-database';
import { CpuMeter, postgresBackendPids, processCpuSeconds } from './support/process-cpu';
import { printReport } from './support/report';
import { startSandboxProcess, type SandboxProcess } from './support/sandbox-process';

/**
 * bench:fleet (issue 16) — one sandbox in fleet mode (BENCH_TENANTS × BENCH_USERS_PER_TENANT, mixed regions, ~10 %
 * dirty tenants, a trickle of console edits) and poller replicas as separate processes on one Postgres.
 *
 * Part 1, KnowBe4's documented limits, ONE replica: every account synced once (baseline, not measured), then
 * BENCH_SIM_HOURS simulated hours at a 15-minute cadence, time compressed by TIME_SCALE for the sandbox's limiter and
 * the poller alike (rate windows, daily budget, cadences). Measured: the share of scheduled syncs that start within
 * their cadence (start − due < cadence; also the share within 10 % of it and lateness percentiles), requests per
 * no-change sync ÷ the fewest KnowBe4 allows (pages of users + pages of groups), the day's request plan against the
 * budget, the poller's peak RSS (VmHWM), and the CPU each completed sync cost the sandbox, the poller and Postgres (the
 * bench database's backends), read from /proc — robust to load, unlike wall-clock rates — against what TIME_SCALE asks:
 * TENANTS / (900 s / TIME_SCALE) syncs a second. The whole stack keeps up only while that rate × CPU per sync stays
 * below the cores; `capacity` says how far off it is.
 * Part 2, rate profile off (CPU-bound): 1, 2 and 4 replicas for BENCH_SCALE_SECONDS each with everything always due;
 * throughput = completed syncs per second, per replica from its own /metrics; scaling = throughput(k) ÷ throughput(1);
 * CPU seconds per sync of each replica, the sandbox and Postgres — a replica count that adds CPU per sync contends on
 * something besides the cores (claims, locks).
 * The last line's `ratio` is part 1's share of syncs that started within their cadence.
 */
const TENANTS = Number(process.env.BENCH_TENANTS ?? 1000);
const USERS = Number(process.env.BENCH_USERS_PER_TENANT ?? 1000);
/** 24: a simulated day lasts an hour, 1,000 tenants ask 26.7 syncs/s (see capacity in the output). */
const TIME_SCALE = Number(process.env.TIME_SCALE ?? 24);
const SIM_HOURS = Number(process.env.BENCH_SIM_HOURS ?? 24);
const CADENCE_SECONDS = 900;
const MAX_RUNS = Number(process.env.BENCH_MAX_CONCURRENT_RUNS ?? 24);
const SCALE_SECONDS = Number(process.env.BENCH_SCALE_SECONDS ?? 60);
const SCALE_REPLICAS = (process.env.BENCH_SCALE_REPLICAS ?? '1,2,4').split(',').map(Number);
/** Runs per replica in part 2: a CPU-bound replica gains nothing from more, and 4 replicas × 24 runs (each holding an
 * advisory-lock connection, plus pools) went past Postgres's max_connections in a first run. */
const SCALE_RUNS = Number(process.env.BENCH_SCALE_RUNS_PER_REPLICA ?? 4);
const POLLER_NODE_OPTIONS = process.env.POLLER_NODE_OPTIONS ?? '--max-old-space-size=256';
const SANDBOX_NODE_OPTIONS = process.env.SANDBOX_NODE_OPTIONS ?? '--max-old-space-size=512';
const PER_PAGE = 500;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const log = (line: string): void => void process.stderr.write(`[bench:fleet ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

interface Replica {
  child: ChildProcess;
  name: string;
  /** Sync runs this replica completed so far (its kb4_poller_sync_runs_total), or undefined when /metrics does not answer. */
  completedRuns(): Promise<number | undefined>;
  /** Peak resident set (VmHWM) in MB, read before it exits. */
  peakRssMb(): number;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (for a replica's /metrics). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startReplica(name: string, env: Record<string, string>): Promise<Replica> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/poller/src/main.ts'], {
    cwd: join(__dirname, '..'),
    env: { ...process.env, NODE_OPTIONS: POLLER_NODE_OPTIONS, POLLER_INSTANCE_ID: name, ...env, POLLER_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const completedRuns = async (): Promise<number | undefined> => {
    try {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const line = /^kb4_poller_sync_runs_total\{[^}]*outcome="completed"[^}]*\} (\d+)/m.exec(text);
      return line ? Number(line[1]) : 0;
    } catch {
      return undefined;
    }
  };
  let lastPeak = 0;
  const peakRssMb = (): number => {
    try {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (hwm) lastPeak = Number(hwm[1]) / 1024;
    } catch {
      // exited: the last reading stands
    }
    return lastPeak;
  };
  return {
    child,
    name,
    completedRuns,
    peakRssMb,
    stop: (signal = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        peakRssMb();
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}

function pollerEnv(databaseUrl: string, sandboxUrl: string, credentialsKey: string, extra: Record<string, string>): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: '127.0.0.1:1',
    OUTBOX_RELAY_ENABLED: 'false',
    CREDENTIALS_KEY: credentialsKey,
    KNOWBE4_BASE_URL_OVERRIDE: sandboxUrl,
    BASELINE_EVENTS: 'summary',
    LOG_LEVEL: 'warn',
    SYNC_SCHEDULER_TICK_MS: '250',
    SYNC_MAX_CONCURRENT_RUNS: String(MAX_RUNS),
    ...extra,
  };
}

async function countRuns(db: DataSource, where: string, params: unknown[] = []): Promise<number> {
  const [row] = await db.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM sync_runs WHERE ${where}`, params);
  return row.n;
}

const percentile = (sorted: number[], p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0);

/**
 * Part 1: scheduled runs started in the window, each against its due time (the account's previous start + cadence).
 * `due`: the syncs the window holds (every account once per cadence); a due sync that never started counts as late,
 * so a stack that falls behind cannot look punctual by starting fewer syncs (`share` is within ÷ max(started, due)).
 */
async function cadenceShare(db: DataSource, from: Date, to: Date, cadenceRealMs: number, tenants: number) {
  const rows = await db.query<Array<{ late_ms: number }>>(
    // a run after the baseline run is left out: the baseline (all accounts' first full sync) is not measured, and its
    // length would count as lateness of the first scheduled run of every account it finished early
    `SELECT extract(epoch FROM (started_at - prev_start)) * 1000 - $3 AS late_ms
       FROM (SELECT started_at, trigger, lag(started_at) OVER (PARTITION BY account_id ORDER BY started_at) AS prev_start,
                    lag(trigger) OVER (PARTITION BY account_id ORDER BY started_at) AS prev_trigger FROM sync_runs) r
      WHERE trigger = 'schedule' AND prev_start IS NOT NULL AND prev_trigger <> 'initial' AND started_at >= $1 AND started_at < $2`,
    [from, to, cadenceRealMs],
  );
  const late = rows.map((r) => Math.max(0, Number(r.late_ms))).sort((a, b) => a - b);
  const within = late.filter((ms) => ms < cadenceRealMs).length;
  const within10 = late.filter((ms) => ms <= cadenceRealMs * 0.1).length;
  const due = Math.floor((tenants * (to.getTime() - from.getTime())) / cadenceRealMs);
  const counted = Math.max(late.length, due);
  const simSeconds = (ms: number): number => Math.round((ms * TIME_SCALE) / 1000);
  return {
    due,
    runs: late.length,
    late: late.length - within,
    never_started: Math.max(0, due - late.length),
    counted,
    share: counted ? within / counted : 0,
    share_of_started: late.length ? within / late.length : 0,
    share_within_10pct: counted ? within10 / counted : 0,
    lateness_sim_s: { p50: simSeconds(percentile(late, 0.5)), p95: simSeconds(percentile(late, 0.95)), p99: simSeconds(percentile(late, 0.99)), max: simSeconds(late.at(-1) ?? 0) },
  };
}

/**
 * Part 1: requests of completed runs that changed nothing, against the minimum (pages of users + groups). `ratio`
 * counts what the sync itself spent (every phase but the identity graph, whose requests come from its own share of the
 * day's budget, SYNC_GRAPH_DAILY_SHARE, and are planned as `graph_allowance`); runs that also read enrollments or
 * GET /account on their cadence count too. `ratio_directory_only`: runs that read nothing but the directory;
 * `ratio_with_graph`: every request of every no-change run.
 */
async function requestCost(db: DataSource, from: Date, to: Date) {
  const rows = await db.query<Array<{ requests: number; plan: Record<string, unknown> & { minimum: number; by_phase: Record<string, number>; lists: Record<string, { read: boolean }> } }>>(
    `SELECT requests, request_plan AS plan FROM sync_runs
      WHERE status = 'completed' AND request_plan IS NOT NULL AND started_at >= $1 AND started_at < $2
        AND (counts->>'events_emitted')::int = 0`,
    [from, to],
  );
  const pure = rows.filter((r) => !r.plan.lists.enrollments.read && !r.plan.lists.account.read && !r.plan.by_phase.graph);
  const mean = (list: typeof rows, spent: (r: (typeof rows)[number]) => number): number =>
    list.length ? list.reduce((sum, r) => sum + spent(r) / r.plan.minimum, 0) / list.length : 0;
  const withoutGraph = (r: (typeof rows)[number]): number => r.requests - (r.plan.by_phase.graph ?? 0);
  return {
    no_change_runs: rows.length,
    ratio: mean(rows, withoutGraph),
    directory_only_runs: pure.length,
    ratio_directory_only: mean(pure, (r) => r.requests),
    ratio_with_graph: mean(rows, (r) => r.requests),
    graph_requests_per_no_change_run: rows.length ? rows.reduce((sum, r) => sum + (r.plan.by_phase.graph ?? 0), 0) / rows.length : 0,
  };
}

async function dayPlan(db: DataSource) {
  const [row] = await db.query<Array<{ plans: number; max_total: number; min_headroom: number; sample: Record<string, unknown> | null; unfit: number }>>(
    `SELECT count(*)::int AS plans, max((request_plan->'day'->'requests'->>'total')::int) AS max_total,
            min((request_plan->'day'->>'headroom')::int) AS min_headroom,
            count(*) FILTER (WHERE (request_plan->'day'->>'fits')::boolean = false)::int AS unfit,
            (array_agg(request_plan->'day'))[1] AS sample
       FROM (SELECT DISTINCT ON (account_id) request_plan FROM sync_runs WHERE request_plan IS NOT NULL ORDER BY account_id, started_at DESC) latest`,
  );
  const [budget] = await db.query<Array<{ max_used: number; exhausted: number }>>(
    `SELECT coalesce(max(daily_used), 0)::int AS max_used, count(*) FILTER (WHERE daily_used >= 2000)::int AS exhausted FROM knowbe4_rate_budgets`,
  );
  return { ...row, budget_max_used_in_window: budget.max_used };
}

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2000);
  }
}

async function sandboxRss(sandbox: SandboxProcess): Promise<number> {
  const health = (await (await fetch(`${sandbox.url}/_sandbox/health`)).json()) as { memory: { rss_bytes: number } };
  return health.memory.rss_bytes / 1e6;
}

function fleetArgs(profile: 'documented' | 'off', mutationsPerHour: number): string[] {
  return ['--tenants', String(TENANTS), '--users-per-tenant', String(USERS), '--rate-profile', profile, '--seed', '1', '--time-scale', String(TIME_SCALE), '--mutations-per-tenant-hour', String(mutationsPerHour)];
}

interface CpuSample {
  total: number;
  /** CPU seconds per named process, and `postgres` for the bench database's backends. */
  by: Record<string, number>;
}

interface ScalePoint {
  replicas: number;
  syncs: number;
  per_s: number;
  per_replica: Array<{ replica: string; syncs: number | null; per_s: number | null; cpu_s: number; cpu_ms_per_sync: number | null }>;
  cpu_ms_per_sync: Record<string, number>;
  cpu_busy_cores: number;
  load: string;
}

const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** CPU used since the first sample by each named process and by the Postgres backends of the bench database. */
function startCpuAccounting(db: DataSource, databaseUrl: string, processes: Record<string, number>): { sample(): Promise<CpuSample> } {
  const database = new URL(databaseUrl).pathname.slice(1);
  const postgres = new CpuMeter(() => postgresBackendPids(db, database));
  const first: Record<string, number> = {};
  const last: Record<string, number> = {};
  return {
    async sample() {
      for (const [name, pid] of Object.entries(processes)) {
        const used = processCpuSeconds(pid);
        if (used === undefined) continue;
        first[name] ??= used;
        last[name] = used;
      }
      const by: Record<string, number> = { postgres: await postgres.sample() };
      for (const name of Object.keys(last)) by[name] = last[name] - first[name];
      return { total: Object.values(by).reduce((a, b) => a + b, 0), by };
    },
  };
}

const perSync = (cpu: CpuSample, syncs: number): Record<string, number> =>
  Object.fromEntries([...Object.entries(cpu.by), ['total', cpu.total]].map(([name, seconds]) => [name, syncs ? Math.round((Number(seconds) * 1000) / syncs) : 0]));

/** Part 1's CPU per completed sync, and the sync rate the machine's cores could sustain at that cost against the rate due. */
function cpuCapacity(cpu: CpuSample, completed: number, windowMs: number) {
  const perSyncMs = perSync(cpu, completed);
  const duePerS = TENANTS / (CADENCE_SECONDS / TIME_SCALE);
  return {
    due_per_s: Number(duePerS.toFixed(2)),
    completed_per_s: Number((completed / (windowMs / 1000)).toFixed(2)),
    cpu_ms_per_sync: { sandbox: perSyncMs.sandbox ?? 0, poller: perSyncMs.poller ?? 0, postgres: perSyncMs.postgres ?? 0, total: perSyncMs.total ?? 0 },
    cpu_busy_cores: Number((cpu.total / (windowMs / 1000)).toFixed(2)),
    sustainable_per_s: perSyncMs.total ? Number(((cpus().length * 1000) / perSyncMs.total).toFixed(1)) : 0,
    largest_time_scale_that_fits: perSyncMs.total ? Math.floor(((cpus().length * 1000) / perSyncMs.total) * (CADENCE_SECONDS / TENANTS)) : null,
  };
}

async function sandboxHealth(sandbox: SandboxProcess): Promise<Record<string, unknown>> {
  return ((await (await fetch(`${sandbox.url}/_sandbox/health`)).json()) as { memory: Record<string, unknown> }).memory;
}

async function main(): Promise<void> {
  const database = await startBenchDatabase('fleet', log);
  const databaseUrl = database.url;
  const db: DataSource = await createDataSource(databaseUrl, { extra: { max: 2 } }).initialize();
  process.env.NODE_OPTIONS = SANDBOX_NODE_OPTIONS;
  let sandbox = await startSandboxProcess(fleetArgs('documented', 1));
  delete process.env.NODE_OPTIONS;
  const replicas: Replica[] = [];
  try {
    const credentialsKey = CredentialCipher.generateKey();
    const workspace = await new WorkspaceRepository(db).createWorkspace('bench-fleet');
    const accounts = new IntegratedAccountRepository(db, new CredentialCipher(credentialsKey));
    for (const tenant of sandbox.tenants)
      await accounts.connect({
        workspaceId: workspace.id,
        label: tenant.id,
        region: tenant.region,
        credentials: { reporting_api_key: tenant.reporting_api_key, scim_token: tenant.scim_token },
      });
    log(`${TENANTS} accounts connected; TIME_SCALE ${TIME_SCALE}: cadence ${CADENCE_SECONDS} s lasts ${(CADENCE_SECONDS / TIME_SCALE).toFixed(1)} s, a day ${(86_400 / TIME_SCALE / 60).toFixed(1)} min`);

    // ---- part 1: documented limits, one replica
    const documented = { KNOWBE4_RATE_PROFILE: 'documented', TIME_SCALE: String(TIME_SCALE), POLL_INTERVAL_SECONDS: String(CADENCE_SECONDS) };
    const one = await startReplica('fleet-1', pollerEnv(databaseUrl, sandbox.url, credentialsKey, documented));
    replicas.push(one);
    const baselineStarted = Date.now();
    await waitUntil('every account synced once', async () => (await countRuns(db, `status = 'completed'`)) >= TENANTS || (log(`baseline: ${await countRuns(db, `status = 'completed'`)}/${TENANTS}`), false), 4 * 3600_000);
    const baselineS = (Date.now() - baselineStarted) / 1000;
    const windowMs = (SIM_HOURS * 3600_000) / TIME_SCALE;
    const from = new Date();
    log(`baseline took ${baselineS.toFixed(0)} s; measuring ${SIM_HOURS} simulated h (${(windowMs / 60_000).toFixed(1)} real min); load ${loadAverage()}`);
    const cpu = startCpuAccounting(db, database.url, { sandbox: sandbox.pid, poller: one.child.pid! });
    await cpu.sample();
    const completedAtStart = await countRuns(db, `status = 'completed'`);
    const loads: number[] = [];
    let sandboxPeak = await sandboxRss(sandbox);
    for (const end = Date.now() + windowMs; Date.now() < end; ) {
      await sleep(Math.min(30_000, end - Date.now()));
      one.peakRssMb();
      await cpu.sample();
      sandboxPeak = Math.max(sandboxPeak, await sandboxRss(sandbox));
      loads.push(Number(loadAverage().split(' ')[0]));
      log(`runs completed since start of window: ${await countRuns(db, `status = 'completed' AND started_at >= $1`, [from])}; waiting for budget: ${await countRuns(db, `status = 'waiting_for_budget'`)}; load ${loadAverage()}`);
    }
    const to = new Date();
    const cpuSeconds = await cpu.sample();
    const completedInWindow = (await countRuns(db, `status = 'completed'`)) - completedAtStart;
    const sandboxFleet = await sandboxHealth(sandbox);
    await one.stop();
    replicas.length = 0;
    const cadence = await cadenceShare(db, from, to, (CADENCE_SECONDS * 1000) / TIME_SCALE, TENANTS);
    const capacity = cpuCapacity(cpuSeconds, completedInWindow, windowMs);
    const cost = await requestCost(db, from, to);
    const plan = await dayPlan(db);
    const pollerPeak = one.peakRssMb();
    const syncsInWindow = await countRuns(db, `status = 'completed' AND started_at >= $1 AND started_at < $2`, [from, to]);
    // part 1 on its own, in case part 2 does not get to the end
    const loadMean = loads.length ? Number((loads.reduce((a, b) => a + b, 0) / loads.length).toFixed(1)) : null;
    log(`part 1: ${JSON.stringify({ cadence, cost, plan, capacity, poller_peak_rss_mb: Math.round(pollerPeak), sandbox_peak_rss_mb: Math.round(sandboxPeak), syncs_in_window: syncsInWindow, sandbox_fleet: sandboxFleet, load_mean: loadMean })}`);

    // ---- part 2: CPU-bound (rate profile off), 1, 2, 4 replicas, everything always due
    await sandbox.stop();
    process.env.NODE_OPTIONS = SANDBOX_NODE_OPTIONS;
    sandbox = await startSandboxProcess(fleetArgs('off', 0));
    delete process.env.NODE_OPTIONS;
    const off = { KNOWBE4_RATE_PROFILE: 'off', TIME_SCALE: '60', POLL_INTERVAL_SECONDS: '60', SYNC_MAX_CONCURRENT_RUNS: String(SCALE_RUNS) };
    const throughput: ScalePoint[] = [];
    for (const k of SCALE_REPLICAS) {
      for (let i = 0; i < k; i++) replicas.push(await startReplica(`fleet-x${k}-${i + 1}`, pollerEnv(databaseUrl, sandbox.url, credentialsKey, off)));
      await sleep(30_000); // boot (swc compiles each replica) and first claims
      const meter = startCpuAccounting(db, database.url, { sandbox: sandbox.pid, ...Object.fromEntries(replicas.map((r) => [r.name, r.child.pid!])) });
      await meter.sample();
      const before = await Promise.all(replicas.map((r) => r.completedRuns()));
      const start = new Date();
      await sleep(SCALE_SECONDS * 1000);
      const after = await Promise.all(replicas.map((r) => r.completedRuns()));
      const cpuSeconds = await meter.sample();
      const syncs = await countRuns(db, `status = 'completed' AND finished_at >= $1 AND finished_at < now()`, [start]);
      const perReplica = replicas.map((r, i) => {
        const done = after[i] !== undefined && before[i] !== undefined ? after[i] - before[i] : null;
        const cpuOf = cpuSeconds.by[r.name] ?? 0;
        return { replica: r.name, syncs: done, per_s: done === null ? null : Number((done / SCALE_SECONDS).toFixed(2)), cpu_s: Number(cpuOf.toFixed(1)), cpu_ms_per_sync: done ? Math.round((cpuOf * 1000) / done) : null };
      });
      const point: ScalePoint = {
        replicas: k,
        syncs,
        per_s: syncs / SCALE_SECONDS,
        per_replica: perReplica,
        cpu_ms_per_sync: perSync(cpuSeconds, syncs),
        cpu_busy_cores: Number((cpuSeconds.total / SCALE_SECONDS).toFixed(2)),
        load: loadAverage(),
      };
      throughput.push(point);
      log(`${k} replica(s): ${syncs} syncs in ${SCALE_SECONDS} s; ${JSON.stringify(point)}`);
      await Promise.all(replicas.map((r) => r.stop()));
      replicas.length = 0;
    }
    const base = throughput[0]?.per_s || 1;
    const scaling = Object.fromEntries(throughput.map((t) => [`x${t.replicas}`, Number((t.per_s / base).toFixed(2))]));

    printReport(
      `bench:fleet — ${TENANTS} tenants × ${USERS} users; TIME_SCALE ${TIME_SCALE} (rate windows, daily budget and cadences compressed ${TIME_SCALE}×: ` +
        `the 15-minute cadence lasts ${(CADENCE_SECONDS / TIME_SCALE).toFixed(0)} s, a day ${(1440 / TIME_SCALE).toFixed(0)} min); part 1: documented limits, 1 replica, ` +
        `${SIM_HOURS} simulated h; part 2: rate profile off, ${SCALE_SECONDS} s per replica count`,
      [
        { measure: 'TIME_SCALE (sandbox and poller alike)', value: `${TIME_SCALE}: due ${capacity.due_per_s.toFixed(1)} syncs/s`, goal: '-' },
        { measure: 'syncs due / started / started late', value: `${cadence.due} / ${cadence.runs} / ${cadence.late} (${cadence.never_started} due never started)`, goal: '-' },
        { measure: 'scheduled syncs started within their cadence', value: `${(cadence.share * 100).toFixed(2)} % of ${cadence.counted}`, goal: '>= 99 %' },
        { measure: '… within 10 % of their cadence', value: `${(cadence.share_within_10pct * 100).toFixed(2)} %`, goal: '-' },
        { measure: 'lateness p50/p95/p99/max (simulated s)', value: `${cadence.lateness_sim_s.p50}/${cadence.lateness_sim_s.p95}/${cadence.lateness_sim_s.p99}/${cadence.lateness_sim_s.max}`, goal: '-' },
        { measure: 'requests per no-change sync ÷ minimum (graph apart)', value: `${cost.ratio.toFixed(3)} (${cost.no_change_runs} runs)`, goal: '<= 1.05' },
        { measure: '… runs that read only the directory', value: `${cost.ratio_directory_only.toFixed(3)} (${cost.directory_only_runs} runs)`, goal: '-' },
        { measure: '… every request incl. the identity graph', value: `${cost.ratio_with_graph.toFixed(3)} (graph ${cost.graph_requests_per_no_change_run.toFixed(1)}/run)`, goal: '-' },
        { measure: 'day plan: most requests planned for one tenant', value: `${plan.max_total} (min headroom ${plan.min_headroom}, ${plan.unfit} do not fit)`, goal: 'fits' },
        { measure: 'CPU ms per completed sync: sandbox / poller / Postgres', value: `${capacity.cpu_ms_per_sync.sandbox} / ${capacity.cpu_ms_per_sync.poller} / ${capacity.cpu_ms_per_sync.postgres} = ${capacity.cpu_ms_per_sync.total}`, goal: '-' },
        { measure: `syncs/s ${cpus().length} cores could sustain at that cost`, value: `${capacity.sustainable_per_s.toFixed(1)} (completed ${capacity.completed_per_s.toFixed(1)}/s, load mean ${loadMean ?? '-'})`, goal: `>= ${capacity.due_per_s.toFixed(1)}` },
        { measure: 'poller peak RSS (VmHWM)', value: `${pollerPeak.toFixed(0)} MB`, goal: '< 512 MB' },
        { measure: 'sandbox peak RSS', value: `${sandboxPeak.toFixed(0)} MB`, goal: 'bounded' },
        ...throughput.map((t) => ({
          measure: `throughput, ${t.replicas} replica(s), rate profile off`,
          value: `${t.per_s.toFixed(2)} syncs/s (×${(t.per_s / base).toFixed(2)}; per replica ${t.per_replica.map((r) => r.per_s ?? '?').join('/')}; CPU ms/sync ${t.cpu_ms_per_sync.total}, ${t.cpu_busy_cores} cores busy)`,
          goal: t.replicas === 2 ? '>= 1.8×' : t.replicas === 4 ? '>= 3.4×' : '-',
        })),
      ],
      {
        bench: 'fleet',
        metric: `share of scheduled syncs that started within their cadence (${TENANTS}×${USERS}, documented limits, 1 replica, ${SIM_HOURS} simulated h at TIME_SCALE ${TIME_SCALE})`,
        ratio: cadence.share,
        goal: '>= 0.99',
        time_scale: TIME_SCALE,
        simulated_hours: SIM_HOURS,
        tenants: TENANTS,
        users_per_tenant: USERS,
        baseline_s: Math.round(baselineS),
        syncs_in_window: syncsInWindow,
        cadence,
        capacity,
        sandbox_fleet: sandboxFleet,
        load_mean: loadMean,
        requests_per_no_change_sync_ratio: Number(cost.ratio.toFixed(3)),
        request_cost: cost,
        day_plan: plan,
        poller_peak_rss_mb: Math.round(pollerPeak),
        sandbox_peak_rss_mb: Math.round(sandboxPeak),
        throughput,
        scaling,
        cores: cpus().length,
        max_concurrent_runs: MAX_RUNS,
        scale_runs_per_replica: SCALE_RUNS,
        poller_node_options: POLLER_NODE_OPTIONS,
        per_page: PER_PAGE,
      },
    );
  } finally {
    await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
    await sandbox.stop();
    await db.destroy();
    await database.close();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`bench:fleet failed: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
