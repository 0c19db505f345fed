import { createRng, hash32 } from '../store/prng';
import type { Region } from '../store/records';
import type { CreateTenantOptions } from '../store/sandbox-store';
import type { RateLimitProfile } from '../store/tenant-store';

export interface FleetOptions {
  tenants: number;
  usersPerTenant: number;
  /** Share (0–1) of tenants serving dirty data (null entries, dangling enrollments, repeated modules). */
  dirtyShare: number;
  /** Console edits per tenant per simulated hour (the trickle). */
  mutationsPerTenantHour: number;
  /** Fleet tenants kept in memory at most; the rest are seeded again from their seed when asked for. */
  maxLiveTenants: number;
  /** MB of deflated directory list pages kept for tenants that did not change, so their syncs seed nothing (0: none). */
  pageCacheMb: number;
}

/** How an MSP's fleet spreads over KnowBe4's regions: most in the US, a quarter in the EU, the rest CA, UK, DE. */
const REGION_WEIGHTS: readonly (readonly [Region, number])[] = [
  ['us', 0.5],
  ['eu', 0.25],
  ['uk', 0.1],
  ['ca', 0.08],
  ['de', 0.07],
];

function pickRegion(draw: number): Region {
  let acc = 0;
  for (const [region, weight] of REGION_WEIGHTS) {
    acc += weight;
    if (draw < acc) return region;
  }
  return 'us';
}

/**
 * The fleet's tenants, the same for the same seed: tenant k has seed `seed + k`, a region drawn from the fleet's mix,
 * and is dirty by a seeded draw (about `dirtyShare` of them). Pure, so the bench can name what it ran against.
 */
export function fleetTenantSpecs(seed: number, fleet: Pick<FleetOptions, 'tenants' | 'usersPerTenant' | 'dirtyShare'>, rateLimit: RateLimitProfile): CreateTenantOptions[] {
  const rng = createRng(seed, 'fleet');
  const specs: CreateTenantOptions[] = [];
  for (let k = 0; k < fleet.tenants; k++) {
    const region = pickRegion(rng.next());
    const dirty = rng.chance(fleet.dirtyShare);
    specs.push({ seed: seed + k, users: fleet.usersPerTenant, region, rate_limit_profile: rateLimit, dirty, id: `fleet_${k}_${seed + k}` });
  }
  return specs;
}

/** The mutation seed of a tenant's n-th trickled edit: a tenant's edits repeat exactly for the same fleet seed. */
export const trickleEditSeed = (tenantSeed: number, n: number): number => hash32(`trickle:${tenantSeed}:${n}`);

/**
 * Chance that a tenant gets an edit in one trickle tick of `tickMs` real milliseconds, at `perHour` edits per
 * simulated hour and `timeScale` simulated seconds per real second (capped at 1: one edit a tick at most).
 */
export const trickleChancePerTick = (perHour: number, timeScale: number, tickMs: number): number =>
  Math.min(1, (perHour * timeScale * tickMs) / 3_600_000);
