import { randomBytes } from 'node:crypto';
import { createRng } from './prng';
import { isRegion, type Region } from './records';
import { TenantStore, type RateLimitProfile, type TenantOptions } from './tenant-store';
import { seedTenant } from '../seed/seed-tenant';

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
  private readonly tenants = new Map<string, TenantStore>();
  private readonly byReportingKey = new Map<string, TenantStore>();
  private readonly byScimToken = new Map<string, TenantStore>();
  /** Set once the HTTP server listens, so credentials can name absolute URLs. */
  baseUrl = '';

  constructor(private readonly defaults: { rateLimitProfile: RateLimitProfile } = { rateLimitProfile: 'documented' }) {}

  createTenant(input: CreateTenantOptions = {}): TenantStore {
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
    const tenant = new TenantStore(id, options);
    seedTenant(tenant);
    this.register(tenant);
    return tenant;
  }

  /** Rebuilds a tenant from its seed, keeping its id and credentials. */
  resetTenant(tenant: TenantStore): TenantStore {
    const fresh = new TenantStore(tenant.id, tenant.options);
    seedTenant(fresh);
    this.register(fresh);
    return fresh;
  }

  /**
   * Regenerates a tenant's Reporting API key and/or SCIM token, as an admin does in the KnowBe4 console: the old
   * value stops authenticating at once. A given value is used as the new one; otherwise one is drawn at random.
   */
  rotateCredentials(tenant: TenantStore, rotate: { reporting?: boolean | string; scim?: boolean | string }): TenantStore {
    const fresh = (prefix: string): string => `${prefix}${randomBytes(16).toString('hex')}`;
    const reportingApiKey =
      typeof rotate.reporting === 'string' ? rotate.reporting : rotate.reporting ? fresh(`kb4rep_${tenant.options.region}_`) : tenant.options.reportingApiKey;
    const scimToken = typeof rotate.scim === 'string' ? rotate.scim : rotate.scim ? fresh('kb4scim_') : tenant.options.scimToken;
    if (this.inUse(reportingApiKey, tenant.options.reportingApiKey) || reportingApiKey === scimToken) throw new RangeError('reporting_api_key is already in use');
    if (this.inUse(scimToken, tenant.options.scimToken)) throw new RangeError('scim_token is already in use');
    this.byReportingKey.delete(tenant.options.reportingApiKey);
    this.byScimToken.delete(tenant.options.scimToken);
    tenant.options.reportingApiKey = reportingApiKey;
    tenant.options.scimToken = scimToken;
    this.register(tenant);
    return tenant;
  }

  deleteTenant(tenant: TenantStore): void {
    this.tenants.delete(tenant.id);
    this.byReportingKey.delete(tenant.options.reportingApiKey);
    this.byScimToken.delete(tenant.options.scimToken);
  }

  get(id: string): TenantStore | undefined {
    return this.tenants.get(id);
  }

  list(): TenantStore[] {
    return [...this.tenants.values()];
  }

  byReportingApiKey(key: string): TenantStore | undefined {
    return this.byReportingKey.get(key);
  }

  byScimBearer(token: string): TenantStore | undefined {
    return this.byScimToken.get(token);
  }

  credentials(tenant: TenantStore): TenantCredentials {
    return {
      id: tenant.id,
      region: tenant.options.region,
      reporting_api_key: tenant.options.reportingApiKey,
      scim_token: tenant.options.scimToken,
      reporting_base_url: `${this.baseUrl}/${tenant.options.region}/v1`,
      scim_base_url: `${this.baseUrl}/scim/v2`,
      users: tenant.users.length,
      groups: tenant.groups.length,
      rate_limit_profile: tenant.options.rateLimitProfile,
      trial: tenant.options.trial,
      dirty: tenant.options.dirty,
    };
  }

  /** True when some tenant's Reporting key or SCIM token already is `value` (`replacing`: the value it replaces). */
  private inUse(value: string, replacing?: string): boolean {
    return value !== replacing && (this.byReportingKey.has(value) || this.byScimToken.has(value));
  }

  private register(tenant: TenantStore): void {
    this.tenants.set(tenant.id, tenant);
    this.byReportingKey.set(tenant.options.reportingApiKey, tenant);
    this.byScimToken.set(tenant.options.scimToken, tenant);
  }
}
