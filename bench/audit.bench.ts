import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DataSource } from 'typeorm';
import { AuditDraft, AuditLogRepository, createDataSource, CredentialCipher, OperationAttribution } from '@kb4/persistence';
import { EmbeddedKafka, startEmbeddedKafka } from '../scripts/local-stack/embedded-kafka';
import { startLocalPostgres } from '../scripts/local-stack/postgres';
import { createTenant, migratedDatabase, startGatewayProcess } from '../test/gateway/support/gateway-harness';
import { median, printReport } from './support/report';

/**
 * bench:audit — the audit log's two costs:
 *   append: one change per transaction, as the provisioner records an operation's outcome —
 *     baseline: a plain INSERT of the same row (same columns and indexes, no chain) in its own transaction;
 *     measured: AuditLogRepository.appendForOperation as the provisioner calls it — one statement (audit_append): the
 *               account's chain locked, its head read, the operation's actor resolved, the entry chained (sha256) and
 *               inserted — in its own transaction.
 *     Within each round the two alternate in slices of 50 changes (the machine may be shared); ratio = plain ms per change / append ms per change (goal >= 0.5).
 *     Also: CONCURRENCY writers appending to ONE account at once (they serialise on its chain head) against the same
 *     number inserting plain rows.
 *   export: EXPORT_ROWS entries streamed by the gateway process (GET /audit-events/export, NDJSON and CSV) with its V8
 *     heap capped (BENCH_GATEWAY_HEAP_MB, 160): an export holding its rows would fail; its peak RSS (VmHWM) against its
 *     RSS before the export is reported.
 */
const CHANGES = Number(process.env.BENCH_CHANGES ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SLICE = 50;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const EXPORT_ROWS = Number(process.env.BENCH_EXPORT_ROWS ?? 100_000);
// the gateway's V8 old space is capped: an export that held its rows would run out of heap and fail the bench
const GATEWAY_HEAP_MB = Number(process.env.BENCH_GATEWAY_HEAP_MB ?? 160);

const operationId = randomUUID();
const keyId = randomUUID();
const attribution: OperationAttribution = { actor: { type: 'api_key', id: keyId }, source: { operation_id: operationId }, requestId: null };

function draft(i: number): AuditDraft {
  return {
    id: randomUUID(),
    type: 'user.updated',
    resource: { user: { id: String(100000 + (i % 5000)), ids: [String(100000 + (i % 5000)), randomUUID()], email: `person${i % 5000}@example.com`, employee_number: `E${i % 5000}` } },
    changes: [
      { field: 'department', from: `Dept ${i % 17}`, to: `Dept ${(i + 1) % 17}` },
      { field: 'title', from: 'Analyst', to: `Senior Analyst ${i % 3}` },
    ],
  };
}

const PLAIN_COLUMNS = 'id, account_id, workspace_id, seq, occurred_at, type, resource, changes, actor, source, request_id, prev_hash, hash, user_ids';

/** The row an append would write, for the plain INSERT (its hash a constant: the baseline does no chaining). */
function plainRow(accountId: string, workspaceId: string, i: number): unknown[] {
  const d = draft(i);
  return [
    d.id,
    accountId,
    workspaceId,
    i + 1,
    new Date(),
    d.type,
    JSON.stringify({ user: d.resource.user, group: null }),
    JSON.stringify(d.changes),
    JSON.stringify(attribution.actor),
    JSON.stringify({ operation_id: operationId, roster_run_id: null, rule_id: null, sync_run_id: null }),
    'bench-request',
    'f'.repeat(64),
    'e'.repeat(64),
    d.resource.user!.ids,
  ];
}

async function timedChanges(run: (i: number) => Promise<void>, count: number, concurrency: number, offset: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) await run(offset + i);
    }),
  );
  return (performance.now() - started) / count;
}

async function appendCost(dataSource: DataSource, accountId: string, workspaceId: string): Promise<{ rounds: Array<{ plain: number; append: number }>; concurrent: { plain: number; append: number }; known: number }> {
  const audit = new AuditLogRepository(dataSource);
  await dataSource.query(`CREATE TABLE bench_audit_plain (LIKE audit_events INCLUDING ALL)`);
  const plainSql = `INSERT INTO bench_audit_plain (${PLAIN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`;
  let offset = 0;
  const plain = (i: number): Promise<void> => dataSource.transaction(async (manager) => void (await manager.query(plainSql, plainRow(accountId, workspaceId, i))));
  // the poller's path (who made the change is known: the sync run)
  const appendKnown = (i: number): Promise<void> => dataSource.transaction(async (manager) => void (await audit.append(manager, accountId, attribution, [draft(i)])));
  // measured: the provisioner's path: the operation's actor (API key, request id) resolved in the same statement
  await dataSource.query(
    `INSERT INTO operations (id, workspace_id, account_id, kind, status, attempts, target_key, request, actor)
     VALUES ($1, $2, $3, 'user.update', 'succeeded', 1, 'bench', '{}', $4)`,
    [operationId, workspaceId, accountId, JSON.stringify({ type: 'api_key', id: keyId, request_id: 'bench-request' })],
  );
  const append = (i: number): Promise<void> =>
    dataSource.transaction(async (manager) => void (await audit.appendForOperation(manager, accountId, operationId, [draft(i)])));
  // warm-up: prepared plans, connections
  await timedChanges(plain, 200, 1, 1_000_000);
  await timedChanges(append, 200, 1, 1_000_000);
  const known = await timedChanges(appendKnown, 200, 1, 2_000_000);
  // the machine is shared: plain and append alternate in slices of SLICE changes, so both see the same load
  const rounds: Array<{ plain: number; append: number }> = [];
  for (let round = 0; round < ROUNDS; round++) {
    let plainMs = 0;
    let appendMs = 0;
    for (let done = 0; done < CHANGES; done += SLICE) {
      const plainFirst = (done / SLICE) % 2 === 0;
      const a = await timedChanges(plainFirst ? plain : append, SLICE, 1, (offset += SLICE));
      const b = await timedChanges(plainFirst ? append : plain, SLICE, 1, (offset += SLICE));
      plainMs += plainFirst ? a : b;
      appendMs += plainFirst ? b : a;
    }
    const slices = CHANGES / SLICE;
    rounds.push({ plain: plainMs / slices, append: appendMs / slices });
    process.stderr.write(`round ${round + 1}: plain ${(plainMs / slices).toFixed(3)} ms/change, append ${(appendMs / slices).toFixed(3)} ms/change\n`);
  }
  const concurrent = {
    plain: await timedChanges(plain, CHANGES, CONCURRENCY, (offset += CHANGES)),
    append: await timedChanges(append, CHANGES, CONCURRENCY, (offset += CHANGES)),
  };
  return { rounds, concurrent, known };
}

/** Fills the account's chain up to `rows` entries, 1,000 per transaction (as a sync page appends them). */
async function seedChain(dataSource: DataSource, accountId: string, rows: number): Promise<number> {
  const audit = new AuditLogRepository(dataSource);
  const started = performance.now();
  for (let have = Number((await audit.head(accountId)).seq); have < rows; ) {
    const batch = Array.from({ length: Math.min(1000, rows - have) }, (_, i) => draft(have + i));
    await dataSource.transaction((manager) => audit.append(manager, accountId, attribution, batch));
    have += batch.length;
  }
  return performance.now() - started;
}

function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** Reads the whole export; returns lines and bytes. */
async function readExport(url: string, apiKey: string): Promise<{ ms: number; lines: number; bytes: number }> {
  const started = performance.now();
  const response = await fetch(url, { headers: { authorization: `Bearer ${apiKey}` } });
  if (!response.ok || !response.body) throw new Error(`export answered ${response.status}: ${await response.text()}`);
  let lines = 0;
  let bytes = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    for (const byte of chunk) if (byte === 10) lines++;
  }
  return { ms: performance.now() - started, lines, bytes };
}

async function main(): Promise<void> {
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const server = await startLocalPostgres({ url: process.env.DATABASE_URL, localDir: join(resolve(__dirname, '..'), '.local'), log });
  const database = await migratedDatabase('kb4_bench_audit');
  const credentialsKey = CredentialCipher.generateKey();
  let kafka: EmbeddedKafka | undefined;
  let gateway: Awaited<ReturnType<typeof startGatewayProcess>> | undefined;
  const dataSource = await createDataSource(database.url, { extra: { max: CONCURRENCY + 2 } }).initialize();
  try {
    const tenant = await createTenant(database.url, credentialsKey);
    log(`append cost: ${CHANGES} changes per phase, ${ROUNDS} rounds …`);
    const cost = await appendCost(dataSource, tenant.accountId, tenant.workspaceId);
    log(`seeding the chain to ${EXPORT_ROWS} entries …`);
    const seedMs = await seedChain(dataSource, tenant.accountId, EXPORT_ROWS);
    const verifyStarted = performance.now();
    const verified = await new AuditLogRepository(dataSource).verify(tenant.accountId);
    const verifyMs = performance.now() - verifyStarted;
    if (!verified.ok) throw new Error(`the seeded chain does not verify: ${JSON.stringify(verified.first_broken)}`);

    if (!process.env.KAFKA_BROKERS) kafka = await startEmbeddedKafka();
    process.env.GATEWAY_NODE_ARGS = `${process.env.GATEWAY_NODE_ARGS ?? ''} --max-old-space-size=${GATEWAY_HEAP_MB}`.trim();
    gateway = await startGatewayProcess({
      DATABASE_URL: database.url,
      CREDENTIALS_KEY: credentialsKey,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? kafka!.brokers,
      API_RATE_LIMIT_PER_MINUTE: '10000000',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
    });
    const base = `${gateway.url}/audit-events?integrated_account_id=${tenant.accountId}`;
    // warm the process up (first request, the route's code paths) before its memory is read
    await readExport(`${gateway.url}/audit-events/export?integrated_account_id=${tenant.accountId}&format=ndjson&until=2000-01-01T00:00:00Z`, tenant.apiKey);
    await fetch(`${base}&limit=500`, { headers: { authorization: `Bearer ${tenant.apiKey}` } });
    const pid = gateway.child.pid!;
    const exports: Array<{ format: string; ms: number; lines: number; mb: number; rssBefore: number; peak: number }> = [];
    for (const format of ['ndjson', 'csv']) {
      const before = memoryOf(pid);
      let peak = before.rss;
      const sampler = setInterval(() => (peak = Math.max(peak, memoryOf(pid).rss)), 20);
      const read = await readExport(`${gateway.url}/audit-events/export?integrated_account_id=${tenant.accountId}&format=${format}`, tenant.apiKey);
      clearInterval(sampler);
      const after = memoryOf(pid);
      // VmHWM is the process's lifetime peak: when the export raised it, that is the export's peak
      peak = Math.max(peak, after.rss, after.hwm > before.hwm ? after.hwm : 0);
      exports.push({ format, ms: read.ms, lines: read.lines, mb: read.bytes / 2 ** 20, rssBefore: before.rss, peak });
      log(`export ${format}: ${read.lines} lines, ${(read.bytes / 2 ** 20).toFixed(1)} MB in ${read.ms.toFixed(0)} ms; gateway RSS ${before.rss.toFixed(0)} → peak ${peak.toFixed(0)} MB`);
    }
    const ratios = cost.rounds.map((r) => r.plain / r.append);
    const ndjson = exports[0];
    printReport(
      `bench:audit — append cost per change (${CHANGES} single-change transactions per phase, ${ROUNDS} rounds) and a ${EXPORT_ROWS}-entry export`,
      [
        ...cost.rounds.map((r, i) => ({ what: `round ${i + 1}`, 'plain INSERT ms/change': r.plain.toFixed(3), 'audit append ms/change': r.append.toFixed(3), ratio: (r.plain / r.append).toFixed(3) })),
        {
          what: `${CONCURRENCY} writers, one account`,
          'plain INSERT ms/change': cost.concurrent.plain.toFixed(3),
          'audit append ms/change': cost.concurrent.append.toFixed(3),
          ratio: (cost.concurrent.plain / cost.concurrent.append).toFixed(3),
        },
        ...exports.map((e) => ({
          what: `export ${e.format}`,
          'plain INSERT ms/change': `${e.lines} lines, ${e.mb.toFixed(1)} MB`,
          'audit append ms/change': `${e.ms.toFixed(0)} ms`,
          ratio: `RSS ${e.rssBefore.toFixed(0)} → ${e.peak.toFixed(0)} MB`,
        })),
      ],
      {
        bench: 'audit',
        metric: 'plain INSERT time per change / audit append (operation path) time per change, one change per transaction (median of rounds)',
        ratio: median(ratios),
        goal: '>= 0.5',
        append_ms_per_change: Number(median(cost.rounds.map((r) => r.append)).toFixed(3)),
        plain_ms_per_change: Number(median(cost.rounds.map((r) => r.plain)).toFixed(3)),
        sync_path_append_ms_per_change: Number(cost.known.toFixed(3)),
        concurrent_writers: CONCURRENCY,
        concurrent_ratio: Number((cost.concurrent.plain / cost.concurrent.append).toFixed(3)),
        seed_ms_per_change_batched_1000: Number((seedMs / EXPORT_ROWS).toFixed(4)),
        verify_ms: Math.round(verifyMs),
        export_rows: ndjson.lines,
        export_ms: Math.round(ndjson.ms),
        export_rss_before_mb: Number(ndjson.rssBefore.toFixed(1)),
        export_peak_rss_mb: Number(Math.max(...exports.map((e) => e.peak)).toFixed(1)),
        export_rss_growth_mb: Number(Math.max(...exports.map((e) => e.peak - e.rssBefore)).toFixed(1)),
        gateway_heap_cap_mb: GATEWAY_HEAP_MB,
        rss_goal: `the export completes with the gateway's heap capped at ${GATEWAY_HEAP_MB} MB; RSS growth < 64 MB`,
      },
    );
  } finally {
    await gateway?.stop();
    await kafka?.stop();
    await dataSource.destroy();
    await database.drop();
    await server.stop();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`bench:audit failed: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
