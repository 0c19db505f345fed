import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { parse } from 'csv-parse';
import { Pool } from 'pg';
import { CredentialCipher, createDataSource, RosterPlanRepository, RosterRunRepository } from '@kb4/persistence';
import { diffRecords } from '@kb4/mapping';
import { GATEWAY_NODE_OPTIONS } from '../scripts/local-stack/node-options';
import { startLocalPostgres } from '../scripts/local-stack/postgres';
import { createTenant, migratedDatabase } from '../test/gateway/support/gateway-harness';
import { seedUsers, syntheticUsers } from '../test/gateway/support/mirror-fixture';
import type { GatewayConfig } from '../apps/gateway/src/config/gateway.config';
import { RosterPlanner } from '../apps/gateway/src/roster/roster-planner';
import { readRosterRows } from '../apps/gateway/src/roster/roster-upload';
import { median, printReport } from './support/report';

/**
 * bench:roster — the plan of a 100k-person roster (CSV, streamed from a file) against a 100k-user mirror:
 *   baseline: a bare streaming diff of the same two sets — the CSV parsed as a stream and merged, in email order, with
 *             the mirror read from Postgres in keyset pages, each pair compared field by field (diffRecords); nothing
 *             validated, stored or resolved;
 *   measured: RosterPlanner as PUT /unified/user-directory/roster?dry_run=true runs it — the upload reader, row
 *             validation (write DTO, hostile-input checks), matching by employee number then email (a batch at a
 *             time), the per-person planner, the rows' keys staged with COPY, the checks over the whole upload
 *             (duplicates, groups, shared matches), archive candidates, and the plan stored as items.
 * Each phase runs in its own process with the gateway's Node options (peak RSS sampled every 20 ms); rounds alternate
 * which goes first.
 */
const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const COMPARED = ['external_id', 'first_name', 'last_name', 'title', 'department'];

interface PhaseResult {
  ms: number;
  /** CPU time of the phase's process (user + system) over the same span: what it costs, whatever the machine's load. */
  cpu_ms: number;
  /** CPU time of the Postgres backends serving the phase (read from /proc as they close; null if Postgres is not local). */
  pg_cpu_ms: number | null;
  peak_rss_mb: number;
  counts: Record<string, number>;
}

/** The desired roster from the mirror, in email order: 1% left out, 2% moved department, 1% new hires at the end. */
async function writeRoster(pool: Pool, accountId: string, file: string): Promise<number> {
  const out = createWriteStream(file);
  const write = async (line: string): Promise<void> => {
    if (!out.write(line)) await once(out, 'drain');
  };
  await write('email,employee_number,first_name,last_name,title,department\n');
  let rows = 0;
  for (let after = '', i = 0; ; ) {
    const { rows: page } = await pool.query<{ email: string; employee: string; first: string; last: string; title: string; department: string }>(
      `SELECT email_lower AS email, employee_number AS employee, first_name AS first, last_name AS last, record->>'title' AS title, department
         FROM directory_users WHERE account_id = $1 AND email_lower > $2 ORDER BY email_lower LIMIT 5000`,
      [accountId, after],
    );
    for (const u of page) {
      i++;
      if (i % 100 === 0) continue;
      const department = i % 50 === 0 ? 'Moved' : u.department;
      await write(`${u.email},${u.employee},${u.first},${u.last},${u.title},${department}\n`);
      rows++;
    }
    if (page.length < 5000) break;
    after = page[page.length - 1].email;
  }
  for (let h = 0; h < USERS / 100; h++, rows++) await write(`zz-hire${h}@example.com,H${h},New,Hire${h},Analyst,Engineering\n`);
  out.end();
  await once(out, 'finish');
  return rows;
}

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time of this database's backends so far (every connection of the phase, read before it closes them). */
async function postgresCpuMs(query: (sql: string) => Promise<Array<{ pid: number }>>): Promise<number | null> {
  try {
    const backends = await query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`);
    let ticks = 0;
    for (const { pid } of backends) {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    }
    return (ticks / CLOCK_TICKS_PER_SECOND) * 1000;
  } catch {
    return null;
  }
}

let phasePostgresCpuMs: number | null = null;

/** Baseline: merge-join of the parsed CSV stream and the mirror's email-ordered pages. */
async function bareDiff(databaseUrl: string, accountId: string, file: string): Promise<Record<string, number>> {
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  const counts = { create: 0, update: 0, archive: 0, unchanged: 0 };
  const mirror = (async function* (): AsyncGenerator<{ email: string; record: Record<string, unknown> }, undefined> {
    for (let after = ''; ; ) {
      const { rows } = await pool.query<{ email: string; record: Record<string, unknown> }>(
        `SELECT email_lower AS email, record FROM directory_users WHERE account_id = $1 AND email_lower > $2 ORDER BY email_lower LIMIT 5000`,
        [accountId, after],
      );
      yield* rows;
      if (rows.length < 5000) return undefined;
      after = rows[rows.length - 1].email;
    }
  })();
  let current = await mirror.next();
  for await (const row of createReadStream(file).pipe(parse({ columns: true })) as AsyncIterable<Record<string, string>>) {
    const email = row.email.toLowerCase();
    while (!current.done && current.value.email < email) {
      counts.archive++;
      current = await mirror.next();
    }
    if (current.done || current.value.email !== email) {
      counts.create++;
      continue;
    }
    const desired = { external_id: row.employee_number, first_name: row.first_name, last_name: row.last_name, title: row.title, department: row.department };
    const record = current.value.record;
    const have = Object.fromEntries(COMPARED.map((field) => [field, record[field] ?? null]));
    if (diffRecords(have, desired).length > 0) counts.update++;
    else counts.unchanged++;
    current = await mirror.next();
  }
  for (; !current.done; current = await mirror.next()) counts.archive++;
  phasePostgresCpuMs = await postgresCpuMs(async (sql) => (await pool.query<{ pid: number }>(sql)).rows);
  await pool.end();
  return counts;
}

/** Measured: the gateway's planner, in process, exactly as a dry-run upload runs it. */
async function rosterPlan(databaseUrl: string, workspaceId: string, accountId: string, file: string): Promise<Record<string, number>> {
  const dataSource = await createDataSource(databaseUrl).initialize();
  try {
    const config = { ROSTER_MAX_ARCHIVE_SHARE: 0.1, ROSTER_MAX_ARCHIVE_COUNT: 1_000_000 } as GatewayConfig;
    const planner = new RosterPlanner(new RosterPlanRepository(dataSource), new RosterRunRepository(dataSource), config);
    const rows = readRosterRows(createReadStream(file), 'csv', { maxBodyBytes: 1 << 30, maxRowBytes: 65_536, maxRows: 1_000_000 });
    const { plan } = await planner.plan({ workspaceId, accountId, dryRun: true, force: false, rows });
    return { ...plan.counts, unchanged: plan.unchanged };
  } finally {
    phasePostgresCpuMs = await postgresCpuMs((sql) => dataSource.query(sql));
    await dataSource.destroy();
  }
}

/** One phase in this process (`--phase <name> <db url> <workspace> <account> <file>`), printing its result as JSON. */
async function runPhase(argv: string[]): Promise<void> {
  const [phase, databaseUrl, workspaceId, accountId, file] = argv;
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const counts = phase === 'baseline' ? await bareDiff(databaseUrl, accountId, file) : await rosterPlan(databaseUrl, workspaceId, accountId, file);
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  process.stdout.write(`${JSON.stringify({ ms, cpu_ms: (cpu.user + cpu.system) / 1000, pg_cpu_ms: phasePostgresCpuMs, peak_rss_mb: peak / 2 ** 20, counts })}\n`);
}

// both phases run with the gateway's Node options (the planner runs in the gateway); BENCH_NODE_OPTIONS overrides
const NODE_OPTIONS = process.env.BENCH_NODE_OPTIONS ?? process.env.GATEWAY_NODE_OPTIONS ?? GATEWAY_NODE_OPTIONS;

function phaseProcess(args: string[]): Promise<PhaseResult> {
  const nodeOptions = NODE_OPTIONS.split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeOptions, '-r', '@swc-node/register', __filename, '--phase', ...args], { cwd: resolve(__dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((done, fail) =>
    child.once('exit', (code) => (code === 0 ? done(JSON.parse(output.trim().split('\n').pop()!) as PhaseResult) : fail(new Error(`${args[0]} phase exited ${code}`)))),
  );
}

async function main(): Promise<void> {
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const server = await startLocalPostgres({ url: process.env.DATABASE_URL, localDir: join(resolve(__dirname, '..'), '.local'), log });
  const database = await migratedDatabase('kb4_bench_roster');
  const file = join(tmpdir(), `kb4-roster-bench-${process.pid}.csv`);
  try {
    const tenant = await createTenant(database.url, CredentialCipher.generateKey());
    const pool = new Pool({ connectionString: database.url, max: 4 });
    log(`seeding a ${USERS}-user mirror …`);
    await seedUsers(pool, tenant.accountId, syntheticUsers(USERS));
    await pool.query('ANALYZE directory_users');
    const rosterRows = await writeRoster(pool, tenant.accountId, file);
    await pool.end();
    const args = [database.url, tenant.workspaceId, tenant.accountId, file];
    const rounds: Array<{ baseline: PhaseResult; measured: PhaseResult }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const first = round % 2 === 0 ? 'baseline' : 'measured';
      const a = await phaseProcess([first, ...args]);
      const b = await phaseProcess([first === 'baseline' ? 'measured' : 'baseline', ...args]);
      rounds.push(first === 'baseline' ? { baseline: a, measured: b } : { baseline: b, measured: a });
      log(`round ${round + 1}: ${first} ${a.ms.toFixed(0)} ms, then ${first === 'baseline' ? 'measured' : 'baseline'} ${b.ms.toFixed(0)} ms`);
    }
    const ratios = rounds.map((r) => r.baseline.ms / r.measured.ms);
    const peakRss = Math.max(...rounds.map((r) => r.measured.peak_rss_mb));
    const last = rounds[rounds.length - 1];
    printReport(
      `bench:roster — plan a ${rosterRows}-row roster against a ${USERS}-user mirror (${ROUNDS} rounds, node options "${NODE_OPTIONS}")`,
      rounds.map((r, i) => ({
        round: i + 1,
        'baseline ms': r.baseline.ms.toFixed(0),
        'baseline CPU ms (Node + Postgres)': `${r.baseline.cpu_ms.toFixed(0)} + ${r.baseline.pg_cpu_ms?.toFixed(0) ?? '?'}`,
        'baseline peak RSS MB': r.baseline.peak_rss_mb.toFixed(0),
        'roster plan ms': r.measured.ms.toFixed(0),
        'roster plan CPU ms (Node + Postgres)': `${r.measured.cpu_ms.toFixed(0)} + ${r.measured.pg_cpu_ms?.toFixed(0) ?? '?'}`,
        'roster plan peak RSS MB': r.measured.peak_rss_mb.toFixed(0),
        ratio: (r.baseline.ms / r.measured.ms).toFixed(3),
      })),
      {
        bench: 'roster',
        metric: 'bare streaming diff time / roster plan time (median of rounds)',
        ratio: median(ratios),
        goal: '>= 0.5',
        peak_rss_mb: Number(peakRss.toFixed(1)),
        rss_goal: '< 300',
        roster_rows: rosterRows,
        mirror_users: USERS,
        node_options: NODE_OPTIONS,
        plan_counts: last.measured.counts,
        baseline_counts: last.baseline.counts,
      },
    );
  } finally {
    rmSync(file, { force: true });
    await database.drop();
    await server.stop();
  }
}

if (process.argv[2] === '--phase') {
  runPhase(process.argv.slice(3)).catch((error: Error) => {
    process.stderr.write(`${error.stack ?? error.message}\n`);
    process.exit(1);
  });
} else {
  main().catch((error: Error) => {
    process.stderr.write(`bench:roster failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  });
}
