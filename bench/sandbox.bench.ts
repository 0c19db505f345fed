import 'reflect-metadata';
import { Agent, request } from 'undici';
import { ReportingClient } from '@kb4/knowbe4';
import { median, printReport } from './support/report';
import { startSandboxProcess } from './support/sandbox-process';

/**
 * bench:sandbox — a 100k-user sandbox tenant (rate profile off), read page by page with per_page 500:
 *   baseline: a bare undici loop (request, parse JSON, count);
 *   measured: ReportingClient.pagesOfUsers() (pacing off, retries on, typed errors, dirty-data cleaning).
 * Rounds alternate baseline and client so drift on this shared machine hits both equally.
 */
const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PER_PAGE = 500;

async function bareLoop(baseUrl: string, apiKey: string, dispatcher: Agent): Promise<{ pages: number; users: number }> {
  let pages = 0;
  let users = 0;
  for (let page = 1; ; page++) {
    const response = await request(`${baseUrl}/users?page=${page}&per_page=${PER_PAGE}`, {
      headers: { authorization: `Bearer ${apiKey}` },
      dispatcher,
    });
    const body = (await response.body.json()) as unknown[];
    if (response.statusCode !== 200) throw new Error(`bare loop got ${response.statusCode}`);
    pages++;
    if (body.length === 0) break;
    users += body.length;
  }
  return { pages, users };
}

async function clientLoop(client: ReportingClient): Promise<{ pages: number; users: number }> {
  let pages = 0;
  let users = 0;
  for await (const page of client.pagesOfUsers({}, {})) {
    pages++;
    users += page.length;
  }
  return { pages, users };
}

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await run();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

async function main(): Promise<void> {
  const seedStart = Date.now();
  const sandbox = await startSandboxProcess(['--users', String(USERS), '--seed', '42', '--rate-limit', 'off']);
  const seedMs = Date.now() - seedStart;
  const tenant = sandbox.tenants[0];
  const dispatcher = new Agent({ connections: 4, keepAliveTimeout: 30_000 });
  const client = new ReportingClient({
    region: tenant.region,
    apiKey: tenant.reporting_api_key,
    baseUrlOverride: sandbox.url,
    pacer: 'off',
  });
  try {
    // warm both paths (JIT, sandbox caches, keep-alive sockets)
    await bareLoop(tenant.reporting_base_url, tenant.reporting_api_key, dispatcher);
    await clientLoop(client);
    const bare: Array<{ ms: number; pages: number; users: number }> = [];
    const ours: Array<{ ms: number; pages: number; users: number }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const b = await timed(() => bareLoop(tenant.reporting_base_url, tenant.reporting_api_key, dispatcher));
      bare.push({ ms: b.ms, ...b.value });
      const c = await timed(() => clientLoop(client));
      ours.push({ ms: c.ms, ...c.value });
    }
    const users = bare[0].users;
    if (ours.some((r) => r.users !== users)) throw new Error(`client saw ${ours.map((r) => r.users).join('/')} users, bare loop ${users}`);
    const bareMs = median(bare.map((r) => r.ms));
    const clientMs = median(ours.map((r) => r.ms));
    // the bare loop fetches the final [] page too; the client may stop on a short page, so compare per data page
    const dataPages = Math.ceil(users / PER_PAGE);
    const barePagesPerS = (dataPages / bareMs) * 1000;
    const clientPagesPerS = (dataPages / clientMs) * 1000;
    const sandboxUsersPerS = (users / bareMs) * 1000;
    printReport(
      `bench:sandbox — ${users} users, per_page ${PER_PAGE}, ${ROUNDS} rounds (median), tenant seeded in ${seedMs} ms`,
      [
        { loop: 'bare undici (baseline)', 'median ms': bareMs.toFixed(0), 'pages/s': barePagesPerS.toFixed(1), 'users/s': sandboxUsersPerS.toFixed(0) },
        { loop: 'ReportingClient', 'median ms': clientMs.toFixed(0), 'pages/s': clientPagesPerS.toFixed(1), 'users/s': ((users / clientMs) * 1000).toFixed(0) },
      ],
      {
        bench: 'sandbox',
        metric: 'ReportingClient pages/s ÷ bare undici loop pages/s over the same 100k-user tenant',
        ratio: clientPagesPerS / barePagesPerS,
        goal: '>= 0.8',
        users,
        per_page: PER_PAGE,
        rounds: ROUNDS,
        sandbox_users_per_s: Math.round(sandboxUsersPerS),
        client_pages_per_s: Number(clientPagesPerS.toFixed(1)),
        bare_pages_per_s: Number(barePagesPerS.toFixed(1)),
        seed_ms: seedMs,
      },
    );
  } finally {
    await dispatcher.close();
    await sandbox.stop();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`bench:sandbox failed: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
