import { startSandbox, type RunningSandbox, type TenantCredentials } from '../sandbox';
import { fleetTenantSpecs } from './fleet-plan';

describe('fleet mode: directory pages of unchanged tenants served without seeding them again', () => {
  let sandbox: RunningSandbox;
  let tenants: TenantCredentials[];
  const get = async (tenant: TenantCredentials, path: string) => {
    const res = await fetch(`${tenant.reporting_base_url}${path}`, { headers: { authorization: `Bearer ${tenant.reporting_api_key}` } });
    const headers = Object.fromEntries([...res.headers].filter(([name]) => !['date', 'x-request-id', 'x-runtime', 'etag'].includes(name)));
    return { status: res.status, headers, body: await res.text() };
  };
  const walk = async (tenant: TenantCredentials): Promise<string[]> => {
    const bodies: string[] = [];
    for (let cursor = 'true'; cursor; ) {
      const page = await get(tenant, `/users?cursor=${cursor}&per_page=40`);
      bodies.push(page.body);
      cursor = (JSON.parse(page.body) as { _metadata: { next_cursor: string | null } })._metadata.next_cursor ?? '';
    }
    bodies.push((await get(tenant, '/groups')).body);
    return bodies;
  };
  const materialisations = (): number => sandbox.store.fleetStats().materialisations;

  beforeAll(async () => {
    sandbox = await startSandbox({ rateLimitProfile: 'documented', timeScale: 3600, maxLiveTenants: 1, idleMs: 0, pageCacheMb: 8 });
    tenants = fleetTenantSpecs(5, { tenants: 3, usersPerTenant: 100, dirtyShare: 0.5 }, 'documented').map((spec) => sandbox.registerLazyTenant(spec));
  });

  afterAll(async () => {
    await sandbox.close();
  });

  it('answers a dropped tenant with the same bytes and headers from the cache', async () => {
    const [a, b] = tenants;
    const first = await walk(a);
    const firstHeaders = (await get(a, '/users?cursor=true&per_page=40')).headers;
    await walk(b); // a is dropped (one tenant in memory)
    expect(sandbox.store.fleetStats().live).toBe(1);
    const seeded = materialisations();
    expect(await walk(a)).toEqual(first);
    const again = await get(a, '/users?cursor=true&per_page=40');
    expect(materialisations()).toBe(seeded);
    // the gate (headers, auth, limiter) runs before the cache is asked: the answer's headers are the same
    expect(again.headers).toEqual(firstHeaders);
    expect(sandbox.store.fleetStats().page_cache?.hits).toBeGreaterThan(0);
  });

  it('seeds a tenant again once a console edit landed while it was out of memory, and serves what the edit made', async () => {
    const [a, b, c] = tenants;
    await walk(b);
    await walk(c); // neither a nor b in memory now
    const before = await walk(a);
    await walk(c);
    sandbox.store.applyConsoleTrickle(a.id, { seed: 77, count: 5, at: Date.UTC(2026, 0, 2) });
    const seeded = materialisations();
    const after = await walk(a);
    expect(materialisations()).toBe(seeded + 1);
    expect(after).not.toEqual(before);
    // what a tenant seeded from scratch with the same edit renders
    await walk(c);
    sandbox.store.pageCache?.forget(a.id);
    expect(await walk(a)).toEqual(after);
  });
});
