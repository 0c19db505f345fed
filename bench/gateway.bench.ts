import 'reflect-metadata';
import { spawn, ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { Pool as PgPool } from 'pg';
import { Pool as HttpPool } from 'undici';
import { CredentialCipher } from '@kb4/persistence';
import { EmbeddedKafka, startEmbeddedKafka } from '../scripts/local-stack/embedded-kafka';
import { startLocalPostgres } from '../scripts/local-stack/postgres';
import { freePort } from '../test/support/free-port';
import { createTenant, migratedDatabase, startGatewayProcess } from '../test/gateway/support/gateway-harness';
import { seedUsers, syntheticUsers } from '../test/gateway/support/mirror-fixture';
import { printReport } from './support/report';

/**
 * bench:gateway — GET /unified/user-directory/users?limit=100 walking a 100k-user mirror with next_cursor,
 * from CONNECTIONS concurrent walkers, REQUESTS requests per round:
 *   baseline: a bare node:http + pg handler (own process) running the same SQL, plain seq cursor, no auth;
 *   measured: the gateway process (API key guard, rate limiter, validation, signed cursors, error filter).
 * Fair setup: both servers get the same Postgres pool size (BENCH_POOL), the same HTTP connections, the same
 * warm-up. The 2 cores are shared with Postgres, the load generator and other people's work, so drift is real:
 * rounds come in pairs run back to back (which one goes first alternates), the ratio is the median of the pairs'
 * ratios, and the load average is reported with the numbers.
 */
const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1200);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const POOL = Number(process.env.BENCH_POOL ?? 10);
const LIMIT = 100;

// The statement DirectoryReadRepository.listUsers issues for the default sort with remote_data (see its tests).
const RECORD = `(t.record || jsonb_build_object('id', coalesce(t.remote_id::text, t.scim_id), 'updated_at', to_char(t.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'remote_data', coalesce(t.remote_data, '{}'::jsonb)))`;
const FIRST_PAGE = `SELECT t.seq::text AS seq, NULL::text AS sort_value, (${RECORD} - $2::text[])::text AS json FROM directory_users t WHERE t.account_id = $1::uuid ORDER BY t.seq ASC LIMIT $3::int`;
const NEXT_PAGE = `SELECT t.seq::text AS seq, NULL::text AS sort_value, (${RECORD} - $3::text[])::text AS json FROM directory_users t WHERE t.account_id = $1::uuid AND t.seq > $2::bigint ORDER BY t.seq ASC LIMIT $4::int`;

/** The baseline server (runs in its own process: `bench/gateway.bench.ts --bare-server <port> <db url>`). */
function runBareServer(port: number, databaseUrl: string, poolSize: number): void {
  const pool = new PgPool({ connectionString: databaseUrl, max: poolSize });
  createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const account = url.searchParams.get('integrated_account_id') ?? '';
    const limit = Number(url.searchParams.get('limit') ?? 50);
    const after = url.searchParams.get('next_cursor');
    const query = after
      ? { name: 'bare_next', text: NEXT_PAGE, values: [account, after, [], limit + 1] }
      : { name: 'bare_first', text: FIRST_PAGE, values: [account, [], limit + 1] };
    pool.query<{ seq: string; json: string }>(query).then(
      ({ rows }) => {
        const more = rows.length > limit;
        const page = more ? rows.slice(0, limit) : rows;
        const next = more ? `"${page[page.length - 1].seq}"` : 'null';
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(`{"result":[${page.map((r) => r.json).join(',')}],"next_cursor":${next},"prev_cursor":null,"result_count":${page.length}}`);
      },
      (error: Error) => {
        res.writeHead(500);
        res.end(error.message);
      },
    );
  }).listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
}

function startBareProcess(databaseUrl: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', __filename, '--bare-server', String(port), databaseUrl, String(POOL)], {
    cwd: resolve(__dirname, '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((done, fail) => {
    child.once('exit', (code) => fail(new Error(`bare server exited (${code})`)));
    child.stdout.once('data', () => {
      child.removeAllListeners('exit');
      done(child);
    });
  });
}

interface RoundResult {
  reqPerS: number;
  p50: number;
  p99: number;
  users: number;
}

/** CONNECTIONS walkers follow next_cursor from the start (and start over at the end) until REQUESTS are done. */
async function round(base: string, accountId: string, apiKey: string | undefined, requests: number): Promise<RoundResult> {
  const http = new HttpPool(base, { connections: CONNECTIONS, pipelining: 1 });
  const latencies: number[] = [];
  let issued = 0;
  let users = 0;
  const headers = apiKey ? { authorization: `Bearer ${apiKey}` } : undefined;
  const started = process.hrtime.bigint();
  const walker = async (): Promise<void> => {
    let cursor: string | null = null;
    while (issued < requests) {
      issued++;
      const path = `/unified/user-directory/users?integrated_account_id=${accountId}&limit=${LIMIT}${cursor ? `&next_cursor=${encodeURIComponent(cursor)}` : ''}`;
      const t0 = process.hrtime.bigint();
      const response = await http.request({ method: 'GET', path, headers });
      const body = (await response.body.json()) as { result: unknown[]; next_cursor: string | null };
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (response.statusCode !== 200) throw new Error(`${base} answered ${response.statusCode}: ${JSON.stringify(body).slice(0, 300)}`);
      users += body.result.length;
      cursor = body.next_cursor;
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, walker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await http.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
  return { reqPerS: latencies.length / seconds, p50: pct(0.5), p99: pct(0.99), users };
}

async function main(): Promise<void> {
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const server = await startLocalPostgres({ url: process.env.DATABASE_URL, localDir: join(resolve(__dirname, '..'), '.local'), log });
  const admin = new URL(server.url);
  admin.pathname = '/postgres';
  process.env.TEST_DATABASE_ADMIN_URL ??= admin.toString();
  const database = await migratedDatabase('kb4_bench_gateway');
  const credentialsKey = CredentialCipher.generateKey();
  const children: Array<{ stop(): Promise<void> } | ChildProcess> = [];
  // the gateway's command relay needs a broker at boot; the bench itself sends no command
  let kafka: EmbeddedKafka | undefined;
  try {
    if (!process.env.KAFKA_BROKERS) kafka = await startEmbeddedKafka();
    const tenant = await createTenant(database.url, credentialsKey);
    const pg = new PgPool({ connectionString: database.url, max: 4 });
    const seedStart = Date.now();
    await seedUsers(pg, tenant.accountId, syntheticUsers(USERS));
    await pg.query('ANALYZE directory_users');
    await pg.end();
    const seedMs = Date.now() - seedStart;

    const gateway = await startGatewayProcess({
      DATABASE_URL: database.url,
      CREDENTIALS_KEY: credentialsKey,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? kafka!.brokers,
      API_RATE_LIMIT_PER_MINUTE: '10000000',
      DATABASE_POOL_SIZE: String(POOL),
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
    });
    children.push(gateway);
    const barePort = await freePort();
    const bare = await startBareProcess(database.url, barePort);
    children.push(bare);
    const bareUrl = `http://127.0.0.1:${barePort}`;

    // warm-up: JIT, prepared statements on every pooled connection, Postgres buffers — the same for both
    for (let i = 0; i < 2; i++) {
      await round(bareUrl, tenant.accountId, undefined, 400);
      await round(gateway.url, tenant.accountId, tenant.apiKey, 400);
    }
    const loadBefore = loadavg();
    const bareRounds: RoundResult[] = [];
    const gatewayRounds: RoundResult[] = [];
    const pairRatios: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const runBare = () => round(bareUrl, tenant.accountId, undefined, REQUESTS);
      const runGateway = () => round(gateway.url, tenant.accountId, tenant.apiKey, REQUESTS);
      // alternate which goes first so neither always meets the other's leftovers (autovacuum, GC, page cache)
      let bareRound: RoundResult;
      let gatewayRound: RoundResult;
      if (i % 2 === 0) {
        bareRound = await runBare();
        gatewayRound = await runGateway();
      } else {
        gatewayRound = await runGateway();
        bareRound = await runBare();
      }
      bareRounds.push(bareRound);
      gatewayRounds.push(gatewayRound);
      pairRatios.push(gatewayRound.reqPerS / bareRound.reqPerS);
      log(`round ${i + 1}: bare ${bareRound.reqPerS.toFixed(0)} req/s, gateway ${gatewayRound.reqPerS.toFixed(0)} req/s, ratio ${(gatewayRound.reqPerS / bareRound.reqPerS).toFixed(3)}`);
    }
    const loadAfter = loadavg();
    const b = medianRound(bareRounds);
    const g = medianRound(gatewayRounds);
    const ratio = median(pairRatios);
    const row = (name: string, r: RoundResult) => ({
      handler: name,
      'req/s': r.reqPerS.toFixed(0),
      'p50 ms': r.p50.toFixed(1),
      'p99 ms': r.p99.toFixed(1),
      'users/s': ((r.users / REQUESTS) * r.reqPerS).toFixed(0),
    });
    const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');
    printReport(
      `bench:gateway — list users limit ${LIMIT}, ${USERS} users in the mirror (seeded in ${seedMs} ms), ${CONNECTIONS} connections, pool ${POOL} each, ${REQUESTS} requests × ${ROUNDS} paired rounds (medians); load average ${load(loadBefore)} → ${load(loadAfter)}`,
      [row('bare node:http + pg (baseline)', b), row('gateway', g)],
      {
        bench: 'gateway',
        metric: 'gateway req/s ÷ bare node:http+pg req/s, GET /unified/user-directory/users?limit=100 over a 100k-user mirror',
        ratio: Number(ratio.toFixed(3)),
        goal: '>= 0.6',
        pair_ratios: pairRatios.map((r) => Number(r.toFixed(3))),
        min_pair_ratio: Number(Math.min(...pairRatios).toFixed(3)),
        users: USERS,
        limit: LIMIT,
        connections: CONNECTIONS,
        requests_per_round: REQUESTS,
        rounds: ROUNDS,
        pool_size: POOL,
        loadavg_before: loadBefore.map((x) => Number(x.toFixed(2))),
        loadavg_after: loadAfter.map((x) => Number(x.toFixed(2))),
        gateway_req_per_s: Math.round(g.reqPerS),
        bare_req_per_s: Math.round(b.reqPerS),
        gateway_p99_ms: Number(g.p99.toFixed(1)),
        bare_p99_ms: Number(b.p99.toFixed(1)),
      },
    );
  } finally {
    for (const child of children) {
      if ('stop' in child) await child.stop();
      else if (child.exitCode === null) {
        const exited = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM');
        await exited;
      }
    }
    await kafka?.stop();
    await database.drop();
    await server.stop();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median of each column on its own (req/s, p50, p99), so one noisy round cannot set the headline. */
function medianRound(rounds: RoundResult[]): RoundResult {
  return {
    reqPerS: median(rounds.map((r) => r.reqPerS)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    users: median(rounds.map((r) => r.users)),
  };
}

if (process.argv[2] === '--bare-server') {
  runBareServer(Number(process.argv[3]), process.argv[4], Number(process.argv[5] ?? 10));
} else {
  main().catch((error: Error) => {
    process.stderr.write(`bench:gateway failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  });
}
