import { userJson } from '../reporting/reporting-views';
import { SandboxStore } from '../store/sandbox-store';
import { ConsoleTrickle } from './console-trickle';
import { fleetTenantSpecs, trickleChancePerTick } from './fleet-plan';

const usersJson = (store: SandboxStore, id: string): string => {
  const tenant = store.get(id)!;
  return tenant.users.map((u) => userJson(u, tenant)).join('\n');
};

describe('fleet mode: lazily seeded tenants in bounded memory', () => {
  it('draws the same fleet from the same seed: mixed regions and about the dirty share asked for', () => {
    const specs = fleetTenantSpecs(7, { tenants: 1000, usersPerTenant: 10, dirtyShare: 0.1 }, 'documented');
    expect(fleetTenantSpecs(7, { tenants: 1000, usersPerTenant: 10, dirtyShare: 0.1 }, 'documented')).toEqual(specs);
    const regions = new Set(specs.map((s) => s.region));
    expect([...regions].sort()).toEqual(['ca', 'de', 'eu', 'uk', 'us']);
    const dirty = specs.filter((s) => s.dirty).length;
    expect(dirty).toBeGreaterThan(60);
    expect(dirty).toBeLessThan(140);
    expect(new Set(specs.map((s) => s.id)).size).toBe(1000);
  });

  it('keeps at most the live limit in memory and serves the same bytes after a tenant was dropped and seeded again, trickled edits included', () => {
    const store = new SandboxStore({ rateLimitProfile: 'off', maxLiveTenants: 2, idleMs: 0 });
    const specs = fleetTenantSpecs(3, { tenants: 6, usersPerTenant: 50, dirtyShare: 0.5 }, 'off');
    for (const spec of specs) store.registerLazyTenant(spec);
    expect(store.fleetStats()).toMatchObject({ tenants: 6, live: 0 });
    const trickle = new ConsoleTrickle(store, specs.map((s) => ({ id: s.id!, seed: s.seed! })), { seed: 3, perTenantHour: 1, timeScale: 1 });
    // edits land on live and on dropped tenants alike
    const first = usersJson(store, specs[0].id!);
    expect(trickle.tick(1, Date.UTC(2026, 0, 1, 10))).toBe(6);
    const edited = usersJson(store, specs[0].id!);
    expect(edited).not.toEqual(first);
    for (const spec of specs) usersJson(store, spec.id!);
    expect(store.fleetStats().live).toBeLessThanOrEqual(2);
    expect(trickle.tick(1, Date.UTC(2026, 0, 1, 11))).toBe(6);
    const twiceEdited = usersJson(store, specs[0].id!);
    for (const spec of specs.slice(1)) usersJson(store, spec.id!);
    // specs[0] was dropped: seeded again from its seed, its two edits replayed with their original times
    expect(usersJson(store, specs[0].id!)).toEqual(twiceEdited);
    expect(store.fleetStats().evictions).toBeGreaterThan(6);
  });

  it('never drops a tenant holding a write it could not replay (a SCIM or console write pins it)', () => {
    const store = new SandboxStore({ rateLimitProfile: 'off', maxLiveTenants: 1, idleMs: 0 });
    const specs = fleetTenantSpecs(5, { tenants: 3, usersPerTenant: 20, dirtyShare: 0 }, 'off');
    for (const spec of specs) store.registerLazyTenant(spec);
    const pinned = store.get(specs[0].id!)!;
    pinned.createUser({ email: 'joiner@example.com' }, { managed: true });
    store.get(specs[1].id!);
    store.get(specs[2].id!);
    expect(store.get(specs[0].id!)).toBe(pinned);
    expect(store.get(specs[0].id!)!.findUserByEmail('joiner@example.com')).toBeDefined();
    expect(store.fleetStats().pinned).toBe(1);
  });

  it('keeps a tenant used within the idle time even over the limit', () => {
    let now = 0;
    const store = new SandboxStore({ rateLimitProfile: 'off', maxLiveTenants: 1, idleMs: 1000, clock: () => now });
    const specs = fleetTenantSpecs(9, { tenants: 2, usersPerTenant: 5, dirtyShare: 0 }, 'off');
    for (const spec of specs) store.registerLazyTenant(spec);
    const a = store.get(specs[0].id!);
    store.get(specs[1].id!);
    expect(store.fleetStats().live).toBe(2);
    now = 5000;
    store.get(specs[1].id!);
    expect(store.get(specs[0].id!)).toBe(a); // still there: nothing is evicted on a hit
  });

  it('spreads the trickle by simulated time: the chance per tick grows with the time scale', () => {
    expect(trickleChancePerTick(1, 1, 1000)).toBeCloseTo(1 / 3600);
    expect(trickleChancePerTick(1, 60, 1000)).toBeCloseTo(1 / 60);
    expect(trickleChancePerTick(100, 3600, 1000)).toBe(1);
  });
});
