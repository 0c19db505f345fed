import { createServer, connect, Server, Socket } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { createKb4Client, Kb4Client, unwrap } from '@kb4/client';
import { TOPICS } from '@kb4/contracts';
import { CredentialCipher, createDataSource, IntegratedAccountRepository } from '@kb4/persistence';
import type { Pool } from 'pg';
import type { ThrowawayDatabase } from '../support/throwaway-database';
import { freePort } from '../support/free-port';
import { call, createTenant, GatewayProcess, migratedDatabase, poolFor, startGatewayProcess, Tenant } from './support/gateway-harness';
import { seedUsers, syntheticUsers } from './support/mirror-fixture';

/** A TCP forwarder to the real broker on a port that was closed until now: "Kafka is back". */
function forwardTo(listenPort: number, target: string): Promise<Server> {
  const [host, port] = target.split(':');
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(port), host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  server.on('close', () => sockets.forEach((socket) => socket.destroy()));
  return new Promise((done) => server.listen(listenPort, '127.0.0.1', () => done(server)));
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * One gateway process whose KAFKA_BROKERS points at a closed port: it boots, serves reads and the paged admin
 * lists, reports Kafka failing on /health/ready, keeps commands in the outbox, and publishes them once Kafka is back.
 */
describe('gateway while Kafka is unreachable; paged admin lists', () => {
  let database: ThrowawayDatabase;
  let pool: Pool;
  let gateway: GatewayProcess;
  let tenant: Tenant;
  let other: Tenant;
  let kafkaPort: number;
  let forwarder: Server | undefined;
  const credentialsKey = CredentialCipher.generateKey();
  const extraAccounts: string[] = [];

  beforeAll(async () => {
    database = await migratedDatabase('gw_outage');
    pool = poolFor(database.url);
    tenant = await createTenant(database.url, credentialsKey);
    other = await createTenant(database.url, credentialsKey);
    await seedUsers(pool, tenant.accountId, syntheticUsers(30));
    const dataSource = await createDataSource(database.url).initialize();
    try {
      const accounts = new IntegratedAccountRepository(dataSource, new CredentialCipher(credentialsKey));
      for (let i = 0; i < 6; i++) {
        const account = await accounts.connect({ workspaceId: tenant.workspaceId, label: `extra ${i}`, region: 'us', credentials: { reporting_api_key: `k${i}`, scim_token: `t${i}` } });
        extraAccounts.push(account.id);
      }
    } finally {
      await dataSource.destroy();
    }
    // ties on created_at and started_at: the id must break them, or a page boundary would skip or repeat rows
    await pool.query(`UPDATE integrated_accounts SET created_at = '2025-01-01T00:00:00.123456Z' WHERE id = ANY($1::uuid[])`, [extraAccounts.slice(0, 4)]);
    await pool.query(
      `INSERT INTO sync_runs (account_id, status, trigger, started_at, finished_at)
       SELECT $1, 'completed', 'schedule', timestamptz '2025-02-01T00:00:00Z' + (i / 3) * interval '1 minute', now() FROM generate_series(1, 23) AS i`,
      [tenant.accountId],
    );
    kafkaPort = await freePort();
    gateway = await startGatewayProcess({
      DATABASE_URL: database.url,
      CREDENTIALS_KEY: credentialsKey,
      KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
      LOG_LEVEL: 'warn',
    });
  });

  afterAll(async () => {
    await gateway?.stop();
    await new Promise((done) => (forwarder ? forwarder.close(done) : done(undefined)));
    await pool?.end();
    await database?.drop();
  });

  const get = (path: string, apiKey = tenant.apiKey) => call(gateway.url, path, { apiKey });
  // the typed client of libs/client: the published contract (openapi.json) is what these calls compile against
  const api = (apiKey = tenant.apiKey): Kb4Client => createKb4Client({ baseUrl: gateway.url, apiKey });

  it('serves unified reads while Kafka is away and says so on /health/ready', async () => {
    const users = await get(`/unified/user-directory/users?integrated_account_id=${tenant.accountId}&limit=10`);
    expect(users.status).toBe(200);
    expect(users.body.result).toHaveLength(10);
    const ready = await call(gateway.url, '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.text).toMatch(/kafka[^}]*failing/);
    expect(ready.text).not.toMatch(/postgres[^,}]*failing/);
    expect((await call(gateway.url, '/health/live')).status).toBe(200);
  });

  it('pages GET /integrated-accounts with limit and next_cursor, every account exactly once (ties on created_at broken by id)', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = unwrap(await api().GET('/integrated-accounts', { params: { query: { limit: 2, next_cursor: cursor } } }));
      expect(page.result_count).toBe(page.result.length);
      seen.push(...page.result.map((account) => account.id));
      cursor = page.next_cursor ?? undefined;
      pages++;
    } while (cursor && pages < 20);
    expect(cursor).toBeUndefined();
    expect(seen.sort()).toEqual([tenant.accountId, ...extraAccounts].sort());
    expect(pages).toBe(4);
    // another workspace sees only its own account
    expect(unwrap(await api(other.apiKey).GET('/integrated-accounts'))).toMatchObject({ result: [{ id: other.accountId }], next_cursor: null, result_count: 1 });
  });

  it('pages GET /integrated-accounts/{id}/sync-runs newest first without repeats, and refuses a cursor of another query', async () => {
    const seen: Array<{ id: string; started_at: string }> = [];
    let cursor: string | undefined;
    let first: string | undefined;
    const runsOf = (id: string, limit: number, next_cursor?: string) =>
      api().GET('/integrated-accounts/{id}/sync-runs', { params: { path: { id }, query: { limit, next_cursor } } });
    do {
      const page = unwrap(await runsOf(tenant.accountId, 5, cursor));
      seen.push(...page.result);
      cursor = page.next_cursor ?? undefined;
      first ??= cursor;
    } while (cursor);
    expect(seen).toHaveLength(23);
    expect(new Set(seen.map((r) => r.id)).size).toBe(23);
    const times = seen.map((r) => r.started_at);
    expect([...times].sort().reverse()).toEqual(times);

    const otherLimit = await runsOf(tenant.accountId, 6, first);
    expect(otherLimit.response.status).toBe(400);
    expect(otherLimit.error?.details).toEqual([expect.objectContaining({ field: 'next_cursor' })]);
    expect((await runsOf(extraAccounts[0], 5, first)).response.status).toBe(400);
    const tampered = await api().GET('/integrated-accounts', { params: { query: { limit: 5, next_cursor: `${first!.slice(0, -2)}xx` } } });
    expect(tampered.response.status).toBe(400);
  });

  it('keeps a write in the outbox while Kafka is away and publishes it once Kafka is back', async () => {
    const accepted = await api().POST('/unified/user-directory/users', {
      params: { query: { integrated_account_id: tenant.accountId } },
      body: { username: 'outage.user@example.com', first_name: 'Outage' },
    });
    expect(accepted.response.status).toBe(202);
    const unpublished = async () => Number((await pool.query(`SELECT count(*) AS n FROM outbox_events WHERE published_at IS NULL AND message_key LIKE $1`, [`${tenant.accountId}:%`])).rows[0].n);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await unpublished()).toBe(1);

    const kafka = new Kafka({ clientId: 'gw-outage-test', brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `gw-outage-${tenant.accountId}`, sessionTimeout: 6000, heartbeatInterval: 1000, maxWaitTimeInMs: 100 });
    const keys: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: TOPICS.provisioningCommands, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const key = message.key?.toString() ?? '';
        if (key.startsWith(`${tenant.accountId}:`)) keys.push(key);
      },
    });
    try {
      forwarder = await forwardTo(kafkaPort, process.env.KAFKA_BROKERS!.split(',')[0]);
      await waitFor('the queued command on Kafka', async () => keys.length > 0, 90_000);
      expect(keys).toEqual([`${tenant.accountId}:user:outage.user@example.com`]);
      expect(await unpublished()).toBe(0);
      await waitFor('/health/ready to pass', async () => (await call(gateway.url, '/health/ready')).status === 200, 30_000);
    } finally {
      await consumer.disconnect();
    }
  });
});
