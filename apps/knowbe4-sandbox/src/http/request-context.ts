import type { Request } from 'express';
import type { Region } from '../store/records';
import type { FleetPageCache } from '../fleet/page-cache';
import type { TenantRef } from '../store/sandbox-store';
import type { TenantStore } from '../store/tenant-store';

/** What the gate learned about a KnowBe4-surface request before a controller sees it. */
export interface Kb4Context {
  region: Region;
  /** The tenant's store (a fleet tenant is seeded on first access). */
  readonly tenant: TenantStore;
  /** Reporting requests: the tenant without seeding it, and the fleet's page cache when there is one. */
  ref?: TenantRef;
  pageCache?: FleetPageCache;
}

const contexts = new WeakMap<Request, Kb4Context>();
const regions = new WeakMap<Request, Region>();

export const setRegion = (req: Request, region: Region): void => void regions.set(req, region);
export const regionOf = (req: Request): Region => regions.get(req) ?? 'us';
export const setContext = (req: Request, ctx: Kb4Context): void => void contexts.set(req, ctx);

export function contextOf(req: Request): Kb4Context {
  const ctx = contexts.get(req);
  if (!ctx) throw new Error('request did not pass the KnowBe4 gate');
  return ctx;
}
