import 'reflect-metadata';
import { ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { ReportingClient } from '@kb4/knowbe4';
import {
  CredentialCipher,
  createDataSource,
  IntegratedAccountEntity,
  IntegratedAccountRepository,
  MirrorWriteRepository,
  OutboxRepository,
  PageFingerprintRepository,
  SnapshotRepository,
  SyncQueueRepository,
  SyncRunLeaseRepository,
  WorkspaceRepository,
} from '@kb4/persistence';
import { createLogger } from '@kb4/platform';
import { DataSource } from 'typeorm';
import { AccountSync, SyncDependencies } from '../apps/poller/src/sync/run/account-sync';
import { startBenchDatabase } from './support/bench-database';
import { median, printReport } from './support/report';
import { startSandboxProcess } from './support/sandbox-process';

/**
 * bench:poller — a 100k-user sandbox tenant (rate profile off), in one run:
 *   (a) baseline: a bare undici loop that only fetches (and parses) every page a sync reads (groups, users,
 *   enrollments); (b) the first full sync (baseline `created` events), (c) a no-change resync, (d) a resync after
 *   1% of the users changed (sandbox mutations). (a) and (c) alternate BENCH_ROUNDS times and their medians are
 *   compared, so a burst of load from a neighbour does not decide the ratio.
 * Three processes, as in production: the sandbox, this bench (Postgres setup, bare loop, report) and a poller
 * child that runs the poller's AccountSync (started like the poller: swc-node register, POLLER_NODE_OPTIONS) and
 * reports its own RSS. The relay is not running (publishing is measured by the Kafka side, not here).
 */
const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PER_PAGE = 500;
const BARE_CONCURRENCY = Math.max(1, Number(process.env.BENCH_BARE_CONCURRENCY ?? 1));
/** The poller's SYNC_PAGINATION; the bare loop walks the same way (cursors for `auto`: the sandbox has them). */
const PAGINATION = (process.env.BENCH_PAGINATION ?? 'auto') as 'auto' | 'cursor' | 'page';
const BARE_PAGINATION: 'cursor' | 'page' = PAGINATION === 'page' ? 'page' : 'cursor';
const POLLER_NODE_OPTIONS = process.env.POLLER_NODE_OPTIONS ?? '--max-old-space-size=192';
const CHILD_ROLE = 'KB4_BENCH_POLLER_CHILD';
/** The lists a sync reads, with the query it reads each with (enrollments carry their campaign and purchase ids). */
const LISTS: ReadonlyArray<readonly [path: string, query: string]> = [
  ['/groups', ''],
  ['/users', ''],
  ['/training/enrollments', '&include_campaign_id=true&include_store_purchase_id=true'],
];

interface ChildSetup {
  databaseUrl: string;
  sandboxUrl: string;
  credentialsKey: string;
  accountId: string;
}

interface StepResult {
  ms: number;
  peakRssMb: number;
  counts: Record<string, number>;
  /** Milliseconds from the start of the run to each list phase's first and last committed page, and to its end. */
  timeline?: Record<string, [number, number]> & { end?: number; gc?: number };
}

/**
 * Page numbers: `BENCH_BARE_CONCURRENCY` pages in flight per list (default 1: one after the other); a short page
 * ends a list. Cursors: one page after the other (each needs the previous page's cursor); an empty cursor ends it.
 */
async function bareLoop(baseUrl: string, apiKey: string, dispatcher: Agent): Promise<number> {
  if (BARE_PAGINATION === 'cursor') return bareCursorLoop(baseUrl, apiKey, dispatcher);
  const fetchPage = async (path: string, query: string, page: number): Promise<number> => {
    const response = await request(`${baseUrl}${path}?page=${page}&per_page=${PER_PAGE}${query}`, { headers: { authorization: `Bearer ${apiKey}` }, dispatcher });
    const body = (await response.body.json()) as unknown[];
    if (response.statusCode !== 200) throw new Error(`bare loop got ${response.statusCode}`);
    return body.length;
  };
  let records = 0;
  for (const [path, query] of LISTS) {
    const ahead: Array<Promise<number>> = [];
    for (let page = 1; ; page++) {
      while (ahead.length < BARE_CONCURRENCY) ahead.push(fetchPage(path, query, page + ahead.length));
      const length = await ahead.shift()!;
      records += length;
      if (length < PER_PAGE) {
        await Promise.allSettled(ahead);
        break;
      }
    }
  }
  return records;
}

async function bareCursorLoop(baseUrl: string, apiKey: string, dispatcher: Agent): Promise<number> {
  let records = 0;
  for (const [path, query] of LISTS) {
    for (let cursor = 'true'; cursor !== ''; ) {
      const response = await request(`${baseUrl}${path}?cursor=${encodeURIComponent(cursor)}&per_page=${PER_PAGE}${query}`, { headers: { authorization: `Bearer ${apiKey}` }, dispatcher });
      const body = (await response.body.json()) as { data: unknown[]; _metadata: { next_cursor: string } };
      if (response.statusCode !== 200) throw new Error(`bare loop got ${response.statusCode}`);
      records += body.data.length;
      cursor = body._metadata.next_cursor;
    }
  }
  return records;
}

/** Peak RSS of this process while `run` runs, sampled every 20 ms (and the kernel's high-water mark). */
async function measured<T>(run: () => Promise<T>): Promise<{ ms: number; peakRssMb: number; value: T }> {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const start = process.hrtime.bigint();
  try {
    const value = await run();
    return { ms: Number(process.hrtime.bigint() - start) / 1e6, peakRssMb: Math.max(peak, process.memoryUsage().rss) / 2 ** 20, value };
  } finally {
    clearInterval(sampler);
  }
}

/** The kernel's high-water mark of this process's RSS (VmHWM), in MB; 0 where /proc is missing. */
function rssHighWaterMb(): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** BENCH_CPU_PROFILE=dir writes a .cpuprofile per poller step (open in Chrome DevTools). */
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

// ---- the poller child: one AccountSync per request, like a long-running poller process

async function pollerChild(setup: ChildSetup): Promise<void> {
  const dataSource: DataSource = await createDataSource(setup.databaseUrl).initialize();
  const accounts = new IntegratedAccountRepository(dataSource, new CredentialCipher(setup.credentialsKey));
  const runs = new SyncQueueRepository(dataSource);
  let runStart = 0n;
  let timeline: Record<string, [number, number]> = {};
  let gcMs = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  }).observe({ entryTypes: ['gc'] });
  const sinceStart = (): number => Math.round(Number(process.hrtime.bigint() - runStart) / 1e6);
  const deps: SyncDependencies = {
    onPage: (phase) => {
      const at = sinceStart();
      timeline[phase] = [timeline[phase]?.[0] ?? at, at];
    },
    dataSource,
    lease: new SyncRunLeaseRepository(),
    fingerprints: new PageFingerprintRepository(dataSource),
    accounts,
    snapshot: new SnapshotRepository(dataSource),
    mirror: new MirrorWriteRepository(),
    outbox: new OutboxRepository(dataSource),
    logger: createLogger('bench-poller', 'warn'),
    settings: {
      owner: 'bench',
      baselineEvents: 'created',
      userEventIgnore: ['last_active_at'],
      syncEnrollments: true,
      perPage: PER_PAGE,
      pagination: PAGINATION,
      pageConcurrency: Number(process.env.BENCH_PAGE_CONCURRENCY ?? 2),
      leaseSeconds: 300,
    },
    createClient: (account, onRequest, dispatcher) =>
      new ReportingClient({
        region: account.region,
        apiKey: accounts.credentialsOf(account).reporting_api_key,
        baseUrlOverride: setup.sandboxUrl,
        pacer: 'off',
        onRequest,
        dispatcher,
      }),
  };
  const sync = async (): Promise<Record<string, number>> => {
    runStart = process.hrtime.bigint();
    timeline = {};
    gcMs = 0;
    const account = (await dataSource.getRepository(IntegratedAccountEntity).findOneBy({ id: setup.accountId }))!;
    const { id } = (await runs.queueManualSync(account.id)).run;
    const run = (await runs.takeOver(id, 'bench', 300))!;
    const outcome = await new AccountSync(deps, account, run, new AbortController().signal).execute();
    if (outcome !== 'completed') throw new Error(`sync ended ${outcome}`);
    return (await runs.findById(id))!.counts;
  };
  process.on('message', (message: { step: string } | { stop: true }) => {
    if ('stop' in message) {
      void dataSource.destroy().finally(() => process.disconnect());
      return;
    }
    void profiled(message.step, () => measured(sync)).then(
      (result) =>
        process.send!({ ms: result.ms, peakRssMb: result.peakRssMb, counts: result.value, highWaterMb: rssHighWaterMb(), timeline: { ...timeline, end: sinceStart(), gc: Math.round(gcMs) } }),
      (error: Error) => process.send!({ error: error.stack ?? error.message }),
    );
  });
  process.send!({ ready: true });
}

function startPollerChild(setup: ChildSetup): Promise<{ step: (name: string) => Promise<StepResult & { highWaterMb: number }>; stop: () => Promise<void> }> {
  const child: ChildProcess = fork(__filename, [], {
    execArgv: ['-r', '@swc-node/register'],
    env: { ...process.env, [CHILD_ROLE]: JSON.stringify(setup), NODE_OPTIONS: POLLER_NODE_OPTIONS },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = (): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`poller child exited (${code})`));
      child.once('exit', onExit);
      child.once('message', (message: Record<string, unknown>) => {
        child.off('exit', onExit);
        if (typeof message.error === 'string') reject(new Error(`poller child: ${message.error}`));
        else resolve(message);
      });
    });
  return next().then(() => ({
    step: async (name) => {
      const reply = next();
      child.send({ step: name });
      return (await reply) as unknown as StepResult & { highWaterMb: number };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.send({ stop: true });
      }),
  }));
}

// ---- the bench

async function main(): Promise<void> {
  const database = await startBenchDatabase('poller', (line) => void process.stderr.write(`${line}\n`));
  const dataSource: DataSource = await createDataSource(database.url).initialize();
  const sandbox = await startSandboxProcess(['--users', String(USERS), '--seed', '42', '--rate-limit', 'off']);
  const tenant = sandbox.tenants[0];
  const dispatcher = new Agent({ connections: 4, keepAliveTimeout: 30_000 });
  let poller: Awaited<ReturnType<typeof startPollerChild>> | undefined;
  try {
    const credentialsKey = CredentialCipher.generateKey();
    const workspace = await new WorkspaceRepository(dataSource).createWorkspace('bench');
    const connected = await new IntegratedAccountRepository(dataSource, new CredentialCipher(credentialsKey)).connect({
      workspaceId: workspace.id,
      label: 'bench',
      region: tenant.region,
      credentials: { reporting_api_key: tenant.reporting_api_key, scim_token: tenant.scim_token },
    });
    poller = await startPollerChild({ databaseUrl: database.url, sandboxUrl: sandbox.url, credentialsKey, accountId: connected.id });
    const bareOnce = async (): Promise<number> => (await measured(() => bareLoop(tenant.reporting_base_url, tenant.reporting_api_key, dispatcher))).ms;

    await bareOnce(); // warm-up
    const bares: number[] = [await bareOnce()];
    const first = await poller.step('first');
    const resyncs: StepResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (round > 0) bares.push(await bareOnce());
      resyncs.push(await poller.step(`resync-${round + 1}`));
    }
    const mutation = await fetch(`${sandbox.url}/_sandbox/tenants/${tenant.id}/mutations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ seed: 7, count: Math.round(USERS / 100) }),
    });
    if (!mutation.ok) throw new Error(`mutations failed: ${mutation.status}`);
    const changed = await poller.step('changed');

    const bareMs = median(bares);
    const resyncMs = median(resyncs.map((r) => r.ms));
    const resyncPeak = Math.max(...resyncs.map((r) => r.peakRssMb));
    const row = (name: string, ms: number, peakRssMb: number | null, events: number | string) => ({
      step: name,
      seconds: (ms / 1000).toFixed(2),
      'users/s': Math.round((USERS / ms) * 1000),
      'x bare': (ms / bareMs).toFixed(2),
      'poller peak RSS MB': peakRssMb === null ? '- (bench process)' : peakRssMb.toFixed(0),
      events,
    });
    // where a no-change resync spends its time: each phase's first/last committed page, then the end (finalize)
    process.stderr.write(`no-change resync timelines (ms since start): ${JSON.stringify(resyncs.map((r) => r.timeline))}\n`);
    const peakRssMb = Math.max(first.peakRssMb, resyncPeak, changed.peakRssMb, changed.highWaterMb);
    printReport(
      `bench:poller — ${USERS} users (+ groups and enrollments), per_page ${PER_PAGE}, SYNC_PAGINATION ${PAGINATION}, rate profile off; sandbox, bench and poller ` +
        `in separate processes (poller NODE_OPTIONS "${POLLER_NODE_OPTIONS}"); medians of ${ROUNDS} alternating rounds for (a)/(c)`,
      [
        row(`(a) bare fetch of every page (baseline, ${BARE_PAGINATION === 'cursor' ? 'cursors' : `${BARE_CONCURRENCY} in flight`})`, bareMs, null, '-'),
        row('(b) first full sync (created baseline)', first.ms, first.peakRssMb, first.counts.events_emitted),
        row('(c) no-change resync', resyncMs, resyncPeak, resyncs[0].counts.events_emitted),
        row('(d) resync after 1% changed', changed.ms, changed.peakRssMb, changed.counts.events_emitted),
      ],
      {
        bench: 'poller',
        metric: `no-change resync time ÷ bare fetch time of the same pages (${USERS} users, medians of ${ROUNDS})`,
        ratio: resyncMs / bareMs,
        goal: '<= 1.3',
        users: USERS,
        bare_s: Number((bareMs / 1000).toFixed(2)),
        pagination: PAGINATION,
        bare_pagination: BARE_PAGINATION,
        bare_concurrency: BARE_PAGINATION === 'cursor' ? 1 : BARE_CONCURRENCY,
        bare_rounds_s: bares.map((ms) => Number((ms / 1000).toFixed(2))),
        first_sync_s: Number((first.ms / 1000).toFixed(2)),
        resync_s: Number((resyncMs / 1000).toFixed(2)),
        resync_rounds_s: resyncs.map((r) => Number((r.ms / 1000).toFixed(2))),
        changed_resync_s: Number((changed.ms / 1000).toFixed(2)),
        changed_events: changed.counts.events_emitted,
        poller_peak_rss_mb: Math.round(peakRssMb),
        rss_goal_mb: 300,
        poller_node_options: POLLER_NODE_OPTIONS,
      },
    );
  } finally {
    await poller?.stop();
    await dispatcher.close();
    await sandbox.stop();
    await dataSource.destroy();
    await database.close();
  }
}

const childSetup = process.env[CHILD_ROLE];
(childSetup ? pollerChild(JSON.parse(childSetup) as ChildSetup) : main()).catch((error: Error) => {
  process.stderr.write(`bench:poller failed: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
