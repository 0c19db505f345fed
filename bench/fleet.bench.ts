import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CredentialCipher, createDataSource, IntegratedAccountRepository, WorkspaceRepository } from '@kb4/persistence';
import { DataSource } from 'typeorm';
import { startBenchDatabase } from './support/bench-database';
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
 * budget, the poller's peak RSS (VmHWM).
 * Part 2, rate profile off (CPU-bound): 1, 2 and 4 replicas for BENCH_SCALE_SECONDS each with everything always due;
 * throughput = completed syncs per second; scaling = throughput(k) ÷ throughput(1).
 * The last line's `ratio` is part 1's share of syncs that started within their cadence.
 */
const TENANTS = Number(process.env.BENCH_TENANTS ?? 1000);
const USERS = Number(process.env.BENCH_USERS_PER_TENANT ?? 1000);
const TIME_SCALE = Number(process.env.TIME_SCALE ?? 6);
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
  /** Peak resident set (VmHWM) in MB, read before it exits. */
  peakRssMb(): number;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

function startReplica(name: string, env: Record<string, string>): Replica {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/poller/src/main.ts'], {
    cwd: join(__dirname, '..'),
    env: { ...process.env, NODE_OPTIONS: POLLER_NODE_OPTIONS, POLLER_INSTANCE_ID: name, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
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
    POLLER_PORT: '0',
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

/** Part 1: scheduled runs started in the window, each against its due time (the account's previous start + cadence). */
async function cadenceShare(db: DataSource, from: Date, to: Date, cadenceRealMs: number) {
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
  const simSeconds = (ms: number): number => Math.round((ms * TIME_SCALE) / 1000);
  return {
    runs: late.length,
    share: late.length ? within / late.length : 0,
    share_within_10pct: late.length ? within10 / late.length : 0,
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
    const one = startReplica('fleet-1', pollerEnv(databaseUrl, sandbox.url, credentialsKey, documented));
    replicas.push(one);
    const baselineStarted = Date.now();
    await waitUntil('every account synced once', async () => (await countRuns(db, `status = 'completed'`)) >= TENANTS || (log(`baseline: ${await countRuns(db, `status = 'completed'`)}/${TENANTS}`), false), 4 * 3600_000);
    const baselineS = (Date.now() - baselineStarted) / 1000;
    const windowMs = (SIM_HOURS * 3600_000) / TIME_SCALE;
    const from = new Date();
    log(`baseline took ${baselineS.toFixed(0)} s; measuring ${SIM_HOURS} simulated h (${(windowMs / 60_000).toFixed(1)} real min)`);
    let sandboxPeak = await sandboxRss(sandbox);
    for (const end = Date.now() + windowMs; Date.now() < end; ) {
      await sleep(Math.min(30_000, end - Date.now()));
      one.peakRssMb();
      sandboxPeak = Math.max(sandboxPeak, await sandboxRss(sandbox));
      log(`runs completed since start of window: ${await countRuns(db, `status = 'completed' AND started_at >= $1`, [from])}; waiting for budget: ${await countRuns(db, `status = 'waiting_for_budget'`)}`);
    }
    const to = new Date();
    await one.stop();
    replicas.length = 0;
    const cadence = await cadenceShare(db, from, to, (CADENCE_SECONDS * 1000) / TIME_SCALE);
    const cost = await requestCost(db, from, to);
    const plan = await dayPlan(db);
    const pollerPeak = one.peakRssMb();
    const syncsInWindow = await countRuns(db, `status = 'completed' AND started_at >= $1 AND started_at < $2`, [from, to]);
    // part 1 on its own, in case part 2 does not get to the end
    log(`part 1: ${JSON.stringify({ cadence, cost, plan, poller_peak_rss_mb: Math.round(pollerPeak), sandbox_peak_rss_mb: Math.round(sandboxPeak), syncs_in_window: syncsInWindow })}`);

    // ---- part 2: CPU-bound (rate profile off), 1, 2, 4 replicas, everything always due
    await sandbox.stop();
    process.env.NODE_OPTIONS = SANDBOX_NODE_OPTIONS;
    sandbox = await startSandboxProcess(fleetArgs('off', 0));
    delete process.env.NODE_OPTIONS;
    const off = { KNOWBE4_RATE_PROFILE: 'off', TIME_SCALE: '60', POLL_INTERVAL_SECONDS: '60', SYNC_MAX_CONCURRENT_RUNS: String(SCALE_RUNS) };
    const throughput: Array<{ replicas: number; syncs: number; per_s: number }> = [];
    for (const k of SCALE_REPLICAS) {
      for (let i = 0; i < k; i++) replicas.push(startReplica(`fleet-x${k}-${i + 1}`, pollerEnv(databaseUrl, sandbox.url, credentialsKey, off)));
      await sleep(30_000); // boot (swc compiles each replica) and first claims
      const start = new Date();
      await sleep(SCALE_SECONDS * 1000);
      const syncs = await countRuns(db, `status = 'completed' AND finished_at >= $1 AND finished_at < now()`, [start]);
      throughput.push({ replicas: k, syncs, per_s: syncs / SCALE_SECONDS });
      log(`${k} replica(s): ${syncs} syncs in ${SCALE_SECONDS} s`);
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
        { measure: 'scheduled syncs started within their cadence', value: `${(cadence.share * 100).toFixed(2)} % of ${cadence.runs}`, goal: '>= 99 %' },
        { measure: '… within 10 % of their cadence', value: `${(cadence.share_within_10pct * 100).toFixed(2)} %`, goal: '-' },
        { measure: 'lateness p50/p95/p99/max (simulated s)', value: `${cadence.lateness_sim_s.p50}/${cadence.lateness_sim_s.p95}/${cadence.lateness_sim_s.p99}/${cadence.lateness_sim_s.max}`, goal: '-' },
        { measure: 'requests per no-change sync ÷ minimum (graph apart)', value: `${cost.ratio.toFixed(3)} (${cost.no_change_runs} runs)`, goal: '<= 1.05' },
        { measure: '… runs that read only the directory', value: `${cost.ratio_directory_only.toFixed(3)} (${cost.directory_only_runs} runs)`, goal: '-' },
        { measure: '… every request incl. the identity graph', value: `${cost.ratio_with_graph.toFixed(3)} (graph ${cost.graph_requests_per_no_change_run.toFixed(1)}/run)`, goal: '-' },
        { measure: 'day plan: most requests planned for one tenant', value: `${plan.max_total} (min headroom ${plan.min_headroom}, ${plan.unfit} do not fit)`, goal: 'fits' },
        { measure: 'poller peak RSS (VmHWM)', value: `${pollerPeak.toFixed(0)} MB`, goal: '< 512 MB' },
        { measure: 'sandbox peak RSS', value: `${sandboxPeak.toFixed(0)} MB`, goal: 'bounded' },
        ...throughput.map((t) => ({ measure: `throughput, ${t.replicas} replica(s), rate profile off`, value: `${t.per_s.toFixed(2)} syncs/s (×${(t.per_s / base).toFixed(2)})`, goal: t.replicas === 2 ? '>= 1.8×' : t.replicas === 4 ? '>= 3.4×' : '-' })),
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
        requests_per_no_change_sync_ratio: Number(cost.ratio.toFixed(3)),
        request_cost: cost,
        day_plan: plan,
        poller_peak_rss_mb: Math.round(pollerPeak),
        sandbox_peak_rss_mb: Math.round(sandboxPeak),
        throughput,
        scaling,
        cores: (await import('node:os')).cpus().length,
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
