import { CredentialCipher } from '@kb4/persistence';
import type { Pool } from 'pg';
import { call, createTenant, GatewayProcess, migratedDatabase, poolFor, startGatewayProcess, Tenant } from './support/gateway-harness';
import { seedUsers, syntheticUsers } from './support/mirror-fixture';
import type { ThrowawayDatabase } from '../support/throwaway-database';

const USERS = 10_000;
const LIMIT = 37;

describe('unified users pagination (gateway process, real Postgres)', () => {
  let database: ThrowawayDatabase;
  let pool: Pool;
  let gateway: GatewayProcess;
  let tenant: Tenant;
  let otherAccount: Tenant;
  const credentialsKey = CredentialCipher.generateKey();

  beforeAll(async () => {
    database = await migratedDatabase('gw_paging');
    pool = poolFor(database.url);
    tenant = await createTenant(database.url, credentialsKey);
    otherAccount = await createTenant(database.url, credentialsKey);
    await seedUsers(pool, tenant.accountId, syntheticUsers(USERS));
    await seedUsers(pool, otherAccount.accountId, syntheticUsers(50, 5_000_000));
    gateway = await startGatewayProcess({
      DATABASE_URL: database.url,
      CREDENTIALS_KEY: credentialsKey,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
      API_RATE_LIMIT_PER_MINUTE: '100000',
    });
  });

  afterAll(async () => {
    await gateway?.stop();
    await pool?.end();
    await database?.drop();
  });

  const list = (query: string, apiKey = tenant.apiKey) =>
    call(gateway.url, `/unified/user-directory/users?integrated_account_id=${tenant.accountId}&${query}`, { apiKey });

  it('returns every user that existed for the whole walk exactly once while users are created, updated and archived', async () => {
    const initial = new Set((await pool.query<{ id: string }>('SELECT remote_id::text AS id FROM directory_users WHERE account_id = $1', [tenant.accountId])).rows.map((r) => r.id));
    expect(initial.size).toBe(USERS);

    let churning = true;
    let nextNewId = 9_000_000;
    const churnCounts = { created: 0, updated: 0, archived: 0 };
    const churn = (async () => {
      while (churning) {
        await seedUsers(pool, tenant.accountId, syntheticUsers(5, nextNewId));
        nextNewId += 5;
        churnCounts.created += 5;
        const updated = await pool.query(
          `UPDATE directory_users SET first_name = 'Changed', record = record || '{"first_name":"Changed"}'::jsonb, updated_at = now()
           WHERE seq IN (SELECT seq FROM directory_users WHERE account_id = $1 ORDER BY random() LIMIT 20)`,
          [tenant.accountId],
        );
        churnCounts.updated += updated.rowCount ?? 0;
        const archived = await pool.query(
          `UPDATE directory_users SET status = 'inactive', record = record || '{"status":"inactive"}'::jsonb, updated_at = now()
           WHERE seq IN (SELECT seq FROM directory_users WHERE account_id = $1 AND status = 'active' ORDER BY random() LIMIT 5)`,
          [tenant.accountId],
        );
        churnCounts.archived += archived.rowCount ?? 0;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    const seen = new Map<string, number>();
    let cursor: string | null = null;
    let pages = 0;
    try {
      do {
        const response = await list(`limit=${LIMIT}&truto_ignore_remote_data=true${cursor ? `&next_cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(response.status).toBe(200);
        expect(response.body).toHaveProperty('next_cursor');
        expect(response.body.result.length).toBeLessThanOrEqual(LIMIT);
        expect(response.body.result_count).toBe(response.body.result.length);
        for (const user of response.body.result as Array<{ id: string }>) seen.set(user.id, (seen.get(user.id) ?? 0) + 1);
        cursor = response.body.next_cursor;
        pages++;
      } while (cursor !== null);
    } finally {
      churning = false;
      await churn;
    }

    const duplicates = [...seen].filter(([, count]) => count > 1);
    expect(duplicates).toEqual([]);
    const missing = [...initial].filter((id) => !seen.has(id));
    expect(missing).toEqual([]);
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(USERS / LIMIT));
    expect(churnCounts.updated).toBeGreaterThan(0);
    expect(churnCounts.archived).toBeGreaterThan(0);
    // the walk saw none of the other account's users
    expect([...seen.keys()].some((id) => id.startsWith('5000'))).toBe(false);
  });

  it('pages back with prev_cursor to exactly the previous page', async () => {
    const first = await list('limit=10&sort_by=last_name');
    const second = await list(`limit=10&sort_by=last_name&next_cursor=${encodeURIComponent(first.body.next_cursor)}`);
    expect(first.body.prev_cursor).toBeNull();
    const back = await list(`limit=10&sort_by=last_name&next_cursor=${encodeURIComponent(second.body.prev_cursor)}`);
    expect(back.status).toBe(200);
    expect(back.body.result.map((u: { id: string }) => u.id)).toEqual(first.body.result.map((u: { id: string }) => u.id));
    const ids = [...first.body.result, ...second.body.result].map((u: { id: string }) => u.id);
    expect(new Set(ids).size).toBe(20);
  });

  it('sorts descending with a composite keyset and filters by status and updated_at', async () => {
    const page = await list('limit=50&sort_by=-last_name&status=inactive&truto_ignore_remote_data=true');
    expect(page.status).toBe(200);
    const names = page.body.result.map((u: { last_name: string }) => u.last_name);
    expect(names).toEqual([...names].sort().reverse());
    expect(page.body.result.every((u: { status: string }) => u.status === 'inactive')).toBe(true);
    const future = await list('updated_at[gt]=2999-01-01T00:00:00Z');
    expect(future.body).toEqual({ result: [], next_cursor: null, prev_cursor: null, result_count: 0 });
  });

  it('refuses a tampered cursor, a cursor of another query and a cursor of another account with 400', async () => {
    const first = await list('limit=5');
    const cursor: string = first.body.next_cursor;
    const [body, tag] = cursor.split('.');
    const flipped = `${body}.${tag[0] === 'A' ? 'B' : 'A'}${tag.slice(1)}`;
    const tampered = await list(`limit=5&next_cursor=${encodeURIComponent(flipped)}`);
    expect(tampered.status).toBe(400);
    expect(tampered.body.request_id).toEqual(expect.any(String));
    const otherQuery = await list(`limit=6&next_cursor=${encodeURIComponent(cursor)}`);
    expect(otherQuery.status).toBe(400);
    expect(otherQuery.body.message).toContain('another query');
    const foreign = await call(
      gateway.url,
      `/unified/user-directory/users?integrated_account_id=${otherAccount.accountId}&limit=5&next_cursor=${encodeURIComponent(cursor)}`,
      { apiKey: otherAccount.apiKey },
    );
    expect(foreign.status).toBe(400);
  });

  it('serves records from the mirror with the unified id, remote_data unless ignored, and excluded fields removed', async () => {
    const page = await list('limit=1&truto_exclude_fields[]=phones&truto_exclude_fields[]=emails');
    const [user] = page.body.result;
    expect(user.id).toMatch(/^\d+$/);
    expect(user).not.toHaveProperty('phones');
    expect(user).not.toHaveProperty('emails');
    expect(user.remote_data.id).toBe(Number(user.id));
    const one = await call(gateway.url, `/unified/user-directory/users/${user.id}?integrated_account_id=${tenant.accountId}&truto_ignore_remote_data=true`, { apiKey: tenant.apiKey });
    expect(one.status).toBe(200);
    expect(one.body.id).toBe(user.id);
    expect(one.body).not.toHaveProperty('remote_data');
  });
});
