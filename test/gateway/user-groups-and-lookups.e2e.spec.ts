import { CredentialCipher } from '@kb4/persistence';
import type { KnowBe4Group } from '@kb4/knowbe4';
import type { Pool } from 'pg';
import { call, createTenant, GatewayProcess, migratedDatabase, poolFor, startGatewayProcess, Tenant } from './support/gateway-harness';
import { seedGroups, seedMemberships, seedScimOnlyUser, seedUsers, syntheticUsers } from './support/mirror-fixture';
import type { ThrowawayDatabase } from '../support/throwaway-database';

jest.setTimeout(60_000);

const GROUPS: KnowBe4Group[] = Array.from({ length: 7 }, (_, i) => ({ id: 400 + i, name: `Team ${String.fromCharCode(65 + i)}`, group_type: 'console_group', status: 'active' }));

describe('a user\'s groups as a sub-resource, and lookups by external_id (gateway process, real Postgres)', () => {
  let database: ThrowawayDatabase;
  let pool: Pool;
  let gateway: GatewayProcess;
  let tenant: Tenant;
  let other: Tenant;
  const credentialsKey = CredentialCipher.generateKey();
  const users = syntheticUsers(4, 7_000_000);
  const member = users[0];

  beforeAll(async () => {
    database = await migratedDatabase('gw_user_groups');
    pool = poolFor(database.url);
    tenant = await createTenant(database.url, credentialsKey);
    other = await createTenant(database.url, credentialsKey);
    member.groups = [400, 401, 402, 403, 404];
    users[1].groups = [405];
    users[2].groups = [];
    await seedGroups(pool, tenant.accountId, GROUPS);
    await seedUsers(pool, tenant.accountId, users, new Map(GROUPS.map((g) => [String(g.id), g.name])));
    await seedMemberships(pool, tenant.accountId, users);
    await seedScimOnlyUser(pool, tenant.accountId, 'scim-only-1', 'fresh@example.com');
    const otherUsers = syntheticUsers(1, 8_000_000, [400]);
    await seedGroups(pool, other.accountId, [GROUPS[0]]);
    await seedUsers(pool, other.accountId, otherUsers);
    await seedMemberships(pool, other.accountId, otherUsers);
    gateway = await startGatewayProcess({ DATABASE_URL: database.url, CREDENTIALS_KEY: credentialsKey, KAFKA_BROKERS: process.env.KAFKA_BROKERS!, API_RATE_LIMIT_PER_MINUTE: '100000' });
  });

  afterAll(async () => {
    await gateway?.stop();
    await pool?.end();
    await database?.drop();
  });

  const groupsOf = (id: string, query = '', as: Tenant = tenant) =>
    call(gateway.url, `/unified/user-directory/users/${id}/groups?integrated_account_id=${as.accountId}${query}`, { apiKey: as.apiKey });

  it('lists exactly the groups a user belongs to, in Truto\'s list shape, walking pages with next_cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await groupsOf(String(member.id), `&limit=2${cursor ? `&next_cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      expect(Object.keys(page.body).sort()).toEqual(['next_cursor', 'prev_cursor', 'result', 'result_count']);
      expect(page.body.result_count).toBe(page.body.result.length);
      seen.push(...page.body.result.map((g: { id: string }) => g.id));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(['400', '401', '402', '403', '404']);

    const sorted = await groupsOf(String(users[1].id), '&sort_by=-name');
    expect(sorted.body.result).toEqual([expect.objectContaining({ id: '405', name: 'Team F' })]);
    expect((await groupsOf(String(users[2].id))).body).toEqual({ result: [], next_cursor: null, prev_cursor: null, result_count: 0 });
  });

  it('refuses a cursor of another user\'s groups with 400', async () => {
    const first = await groupsOf(String(member.id), '&limit=1');
    const foreign = await groupsOf(String(users[1].id), `&limit=1&next_cursor=${encodeURIComponent(first.body.next_cursor as string)}`);
    expect(foreign.status).toBe(400);
    expect(foreign.body.message).toContain('next_cursor');
  });

  it('accepts a SCIM id (a user no sync has seen has no groups yet) and answers 404 for unknown or another workspace\'s users', async () => {
    const scimOnly = await groupsOf('scim-only-1');
    expect(scimOnly.status).toBe(200);
    expect(scimOnly.body.result).toEqual([]);
    for (const id of ['999999999', 'no-such-user', "x'; DROP TABLE directory_users;--"]) {
      const missing = await groupsOf(encodeURIComponent(id));
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ message: 'user not found in this integrated account' });
    }
    // the other workspace's user, asked through this workspace's account
    expect((await groupsOf('8000000')).status).toBe(404);
    // this workspace's user, asked with the other workspace's key and account
    expect((await groupsOf(String(member.id), '', other)).status).toBe(404);
    // another workspace's account with this workspace's key
    const crossed = await call(gateway.url, `/unified/user-directory/users/${member.id}/groups?integrated_account_id=${other.accountId}`, { apiKey: tenant.apiKey });
    expect(crossed.status).toBe(404);
  });

  it('finds users by external_id (employee number, exact, leading zeros count) on the list', async () => {
    const list = (query: string) => call(gateway.url, `/unified/user-directory/users?integrated_account_id=${tenant.accountId}&${query}`, { apiKey: tenant.apiKey });
    const found = await list(`external_id=${users[2].employee_number as string}`);
    expect(found.status).toBe(200);
    expect(found.body.result.map((u: { id: string; external_id: string }) => [u.id, u.external_id])).toEqual([[String(users[2].id), '000002']]);
    expect((await list('external_id=2')).body.result).toEqual([]);
    expect((await list('external_id=000001&email=user7000001@example.com')).body.result_count).toBe(1);
    expect((await list('external_id=')).status).toBe(400);
  });
});
