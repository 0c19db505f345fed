import { randomBytes } from 'node:crypto';
import { createRng } from './prng';
import { isRegion, type Region } from './records';
import { TenantStore, type RateLimitProfile, type TenantOptions } from './tenant-store';
import { seedTenant } from '../seed/seed-tenant';
import { applyConsoleMutations } from '../admin/console-edits';
import { withStoreClock } from './time';
import { FleetPageCache } from '../fleet/page-cache';

export interface CreateTenantOptions {
  seed?: number;
  users?: number;
  groups?: number;
  region?: Region;
  rate_limit_profile?: RateLimitProfile;
  reporting_api_key?: string;
  scim_token?: string;
  trial?: boolean;
  dirty?: boolean;
  group_risk_history_error_rate?: number;
  /** Tenant id to use; generated from the seed when absent. */
  id?: string;
  /**
   * Fleet mode: the tenant is seeded on its first request and may be dropped again while it holds nothing but its
   * seed and replayable console edits (`applyConsoleTrickle`), so a thousand tenants need not all sit in memory.
   */
  lazy?: boolean;
}

/** A console edit that can be re-applied exactly: the mutation seed and count, and when it was first applied. */
interface ReplayableEdit {
  seed: number;
  count: number;
  at: number;
}

/** A registered tenant: its options always; its store while materialised. */
interface TenantSlot {
  id: string;
  options: TenantOptions;
  lazy: boolean;
  live: TenantStore | undefined;
  /** Store version after the last seed or replayable edit; a live store past it holds writes that cannot be replayed. */
  replayableVersion: number;
  edits: ReplayableEdit[];
  lastUsed: number;
  /** Users when last dropped from memory, and the edits then: the count stands while no edit came since. */
  droppedWith?: { users: number; edits: number };
}

export interface FleetMemoryStats {
  tenants: number;
  live: number;
  pinned: number;
  materialisations: number;
  evictions: number;
  page_cache?: ReturnType<FleetPageCache['stats']>;
}

/** A tenant as the gate sees it: id and options at once, its store only when a handler asks (a fleet tenant is seeded then). */
export interface TenantRef {
  id: string;
  options: TenantOptions;
  /** Fleet tenants: the state their pages render from (replayable edits, store version); undefined for others. */
  stamp(): string | undefined;
  /** Users for the daily budget, without seeding a dropped tenant that had no edit since (TenantStore.userCount). */
  userCount(): number;
  store(): TenantStore;
}

export interface TenantCredentials {
  id: string;
  region: Region;
  reporting_api_key: string;
  scim_token: string;
  reporting_base_url: string;
  scim_base_url: string;
  users: number;
  groups: number;
  rate_limit_profile: RateLimitProfile;
  trial: boolean;
  dirty: boolean;
}

/** All tenants of one sandbox, found by id or by the credential a request carries. */
export class SandboxStore {
  private readonly tenants = new Map<string, TenantSlot>();
  private readonly byReportingKey = new Map<string, TenantSlot>();
  private readonly byScimToken = new Map<string, TenantSlot>();
  /** Materialised lazy tenants, least recently used first (Map keeps insertion order; a use re-inserts). */
  private readonly liveLazy = new Map<string, TenantSlot>();
  private materialisations = 0;
  private evictions = 0;
  /** Set once the HTTP server listens, so credentials can name absolute URLs. */
  baseUrl = '';
  /** Fleet mode: rendered list pages of unchanged fleet tenants (see FleetPageCache). */
  readonly pageCache: FleetPageCache | undefined;

  constructor(
    private readonly defaults: {
      rateLimitProfile: RateLimitProfile;
      /** Lazy tenants kept materialised at most (fleet mode); ones in use in the last `idleMs` are never dropped. */
      maxLiveTenants?: number;
      idleMs?: number;
      clock?: () => number;
      /** Fleet mode: bytes of deflated list pages kept for tenants that did not change (0: none). */
      pageCacheBytes?: number;
    } = { rateLimitProfile: 'documented' },
  ) {
    this.pageCache = defaults.pageCacheBytes ? new FleetPageCache(defaults.pageCacheBytes) : undefined;
  }

  createTenant(input: CreateTenantOptions = {}): TenantStore {
    const slot = this.registerSlot(input);
    return this.materialise(slot);
  }

  /** Registers a fleet tenant without seeding it (`lazy`); it is seeded when a request or an edit first needs it. */
  registerLazyTenant(input: CreateTenantOptions = {}): TenantCredentials {
    return this.slotCredentials(this.registerSlot({ ...input, lazy: true }));
  }

  private registerSlot(input: CreateTenantOptions): TenantSlot {
    const seed = input.seed ?? 1;
    const region = input.region ?? 'us';
    if (!isRegion(region)) throw new RangeError(`region must be one of us, eu, ca, uk, de`);
    const users = Math.max(0, Math.floor(input.users ?? 300));
    const naming = createRng(seed, `tenant:${this.tenants.size}`);
    let id = input.id ?? `t_${seed}_${naming.uuid().slice(0, 8)}`;
    while (this.tenants.has(id)) id = `${id}_${randomBytes(2).toString('hex')}`;
    const options: TenantOptions = {
      seed,
      users,
      groups: input.groups,
      region,
      rateLimitProfile: input.rate_limit_profile ?? this.defaults.rateLimitProfile,
      // Keys are derived from the seed so a restarted sandbox keeps working credentials.
      reportingApiKey: input.reporting_api_key ?? `kb4rep_${region}_${naming.uuid().replace(/-/g, '')}`,
      scimToken: input.scim_token ?? `kb4scim_${naming.uuid().replace(/-/g, '')}`,
      trial: input.trial ?? false,
      dirty: input.dirty ?? false,
      groupRiskHistoryErrorRate: input.group_risk_history_error_rate ?? 0,
    };
    if (this.inUse(options.reportingApiKey)) throw new RangeError('reporting_api_key is already in use');
    if (this.inUse(options.scimToken)) throw new RangeError('scim_token is already in use');
    const slot: TenantSlot = { id, options, lazy: input.lazy === true, live: undefined, replayableVersion: -1, edits: [], lastUsed: 0 };
    this.register(slot);
    return slot;
  }

  /** Rebuilds a tenant from its seed, keeping its id and credentials (console edits are forgotten). */
  resetTenant(tenant: TenantStore): TenantStore {
    const slot = this.slotOf(tenant);
    this.pageCache?.forget(slot.id);
    slot.edits = [];
    slot.live = undefined;
    this.liveLazy.delete(slot.id);
    return this.materialise(slot);
  }

  /**
   * Applies `count` seeded console edits to a tenant as of `at` (the fleet's trickle). A tenant that is not in memory
   * only records them; they are applied, with their original times, when it is next seeded.
   */
  applyConsoleTrickle(id: string, edit: ReplayableEdit): void {
    const slot = this.tenants.get(id);
    if (!slot) return;
    const live = slot.live;
    if (!live) {
      slot.edits.push(edit);
      return;
    }
    const replayable = live.version === slot.replayableVersion;
    withStoreClock(edit.at, () => applyConsoleMutations(live, edit.seed, edit.count));
    if (replayable) {
      slot.edits.push(edit);
      slot.replayableVersion = live.version;
    }
  }

  fleetStats(): FleetMemoryStats {
    let live = 0;
    let pinned = 0;
    for (const slot of this.tenants.values()) {
      if (slot.live) live++;
      if (slot.live && (!slot.lazy || slot.live.version !== slot.replayableVersion)) pinned++;
    }
    const stats: FleetMemoryStats = { tenants: this.tenants.size, live, pinned, materialisations: this.materialisations, evictions: this.evictions };
    if (this.pageCache) stats.page_cache = this.pageCache.stats();
    return stats;
  }

  /**
   * Regenerates a tenant's Reporting API key and/or SCIM token, as an admin does in the KnowBe4 console: the old
   * value stops authenticating at once. A given value is used as the new one; otherwise one is drawn at random.
   */
  rotateCredentials(tenant: TenantStore | TenantSlot, rotate: { reporting?: boolean | string; scim?: boolean | string }): TenantStore {
    const fresh = (prefix: string): string => `${prefix}${randomBytes(16).toString('hex')}`;
    const reportingApiKey =
      typeof rotate.reporting === 'string' ? rotate.reporting : rotate.reporting ? fresh(`kb4rep_${tenant.options.region}_`) : tenant.options.reportingApiKey;
    const scimToken = typeof rotate.scim === 'string' ? rotate.scim : rotate.scim ? fresh('kb4scim_') : tenant.options.scimToken;
    if (this.inUse(reportingApiKey, tenant.options.reportingApiKey) || reportingApiKey === scimToken) throw new RangeError('reporting_api_key is already in use');
    if (this.inUse(scimToken, tenant.options.scimToken)) throw new RangeError('scim_token is already in use');
    this.byReportingKey.delete(tenant.options.reportingApiKey);
    this.byScimToken.delete(tenant.options.scimToken);
    // the options object is shared by the slot and its live store, so both see the new values
    tenant.options.reportingApiKey = reportingApiKey;
    tenant.options.scimToken = scimToken;
    const slot = this.slotOf(tenant);
    this.register(slot);
    return slot.live ?? this.materialise(slot);
  }

  deleteTenant(tenant: TenantStore): void {
    this.pageCache?.forget(tenant.id);
    this.tenants.delete(tenant.id);
    this.liveLazy.delete(tenant.id);
    this.byReportingKey.delete(tenant.options.reportingApiKey);
    this.byScimToken.delete(tenant.options.scimToken);
  }

  get(id: string): TenantStore | undefined {
    const slot = this.tenants.get(id);
    return slot && this.materialise(slot);
  }

  /** Every tenant, seeded (fleet tenants included: use `count` or `listCredentials` to avoid that). */
  list(): TenantStore[] {
    return [...this.tenants.values()].map((slot) => this.materialise(slot));
  }

  get count(): number {
    return this.tenants.size;
  }

  /** Credentials of every tenant without seeding any (a fleet tenant not in memory shows its seeded size). */
  listCredentials(): TenantCredentials[] {
    return [...this.tenants.values()].map((slot) => this.slotCredentials(slot));
  }

  byReportingApiKey(key: string): TenantStore | undefined {
    const slot = this.byReportingKey.get(key);
    return slot && this.materialise(slot);
  }

  /** The tenant a Reporting API key belongs to, not seeded yet (see TenantRef). */
  reportingRef(key: string): TenantRef | undefined {
    const slot = this.byReportingKey.get(key);
    if (!slot) return undefined;
    return {
      id: slot.id,
      options: slot.options,
      // a slot out of memory is as its seed and replayable edits left it; in memory, its version says whether it changed
      stamp: () => (slot.lazy ? `${slot.edits.length}:${slot.live ? slot.live.version : slot.replayableVersion}` : undefined),
      userCount: () => {
        if (slot.live) return slot.live.users.length;
        const dropped = slot.droppedWith;
        return dropped && dropped.edits === slot.edits.length ? dropped.users : this.materialise(slot).users.length;
      },
      store: () => this.materialise(slot),
    };
  }

  byScimBearer(token: string): TenantStore | undefined {
    const slot = this.byScimToken.get(token);
    return slot && this.materialise(slot);
  }

  credentials(tenant: TenantStore): TenantCredentials {
    return this.slotCredentials(this.slotOf(tenant));
  }

  private slotCredentials(slot: TenantSlot): TenantCredentials {
    const { options } = slot;
    return {
      id: slot.id,
      region: options.region,
      reporting_api_key: options.reportingApiKey,
      scim_token: options.scimToken,
      reporting_base_url: `${this.baseUrl}/${options.region}/v1`,
      scim_base_url: `${this.baseUrl}/scim/v2`,
      users: slot.live?.users.length ?? options.users,
      groups: slot.live?.groups.length ?? options.groups ?? 0,
      rate_limit_profile: options.rateLimitProfile,
      trial: options.trial,
      dirty: options.dirty,
    };
  }

  private slotOf(tenant: TenantStore | TenantSlot): TenantSlot {
    const slot = this.tenants.get(tenant.id);
    if (!slot) throw new RangeError(`tenant ${tenant.id} is not registered`);
    return slot;
  }

  /** The tenant's store, seeded (and its replayable edits re-applied) when it is not in memory. */
  private materialise(slot: TenantSlot): TenantStore {
    const now = (this.defaults.clock ?? Date.now)();
    slot.lastUsed = now;
    if (slot.live) {
      if (slot.lazy) {
        this.liveLazy.delete(slot.id);
        this.liveLazy.set(slot.id, slot);
      }
      return slot.live;
    }
    const store = new TenantStore(slot.id, slot.options);
    seedTenant(store);
    for (const edit of slot.edits) withStoreClock(edit.at, () => applyConsoleMutations(store, edit.seed, edit.count));
    slot.live = store;
    slot.replayableVersion = store.version;
    this.materialisations++;
    if (slot.lazy) {
      this.liveLazy.set(slot.id, slot);
      this.evictIdle(now);
    }
    return store;
  }

  /**
   * Drops least recently used fleet tenants over the limit, but only ones idle for `idleMs` (a request may still be
   * on its way to the store it looked up) and holding nothing a replay could not rebuild (a SCIM or admin write pins).
   */
  private evictIdle(now: number): void {
    const max = this.defaults.maxLiveTenants ?? Number.POSITIVE_INFINITY;
    const idleMs = this.defaults.idleMs ?? 2_000;
    if (this.liveLazy.size <= max) return;
    for (const slot of [...this.liveLazy.values()]) {
      if (this.liveLazy.size <= max) break;
      if (now - slot.lastUsed < idleMs) break; // the rest were used even more recently
      this.liveLazy.delete(slot.id);
      if (slot.live && slot.live.version !== slot.replayableVersion) continue; // pinned: kept, no longer counted
      if (slot.live) slot.droppedWith = { users: slot.live.users.length, edits: slot.edits.length };
      slot.live = undefined;
      this.evictions++;
    }
  }

  /** True when some tenant's Reporting key or SCIM token already is `value` (`replacing`: the value it replaces). */
  private inUse(value: string, replacing?: string): boolean {
    return value !== replacing && (this.byReportingKey.has(value) || this.byScimToken.has(value));
  }

  private register(slot: TenantSlot): void {
    this.tenants.set(slot.id, slot);
    this.byReportingKey.set(slot.options.reportingApiKey, slot);
    this.byScimToken.set(slot.options.scimToken, slot);
  }
}
