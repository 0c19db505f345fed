import { isRegion, type Region } from '../store/records';
import type { RateLimitProfile } from '../store/tenant-store';
import { isResponseTimeProfile, type ResponseTimeProfile } from '../http/response-time';
import type { FleetOptions } from '../fleet/fleet-plan';

export interface SandboxCliOptions {
  port: number;
  host: string;
  seed: number;
  users: number;
  region: Region;
  rateLimit: RateLimitProfile;
  tenants: number;
  responseTime: ResponseTimeProfile;
  /** Compresses rate windows and the daily window (`--time-scale` or `TIME_SCALE`; shared with the poller in benchmarks). */
  timeScale: number;
  /** Fleet mode (`--users-per-tenant`): lazily seeded tenants over mixed regions, a dirty share, a console trickle. */
  fleet?: FleetOptions;
  /**
   * Credentials of the first tenant, from SANDBOX_TENANT_REPORTING_API_KEY and SANDBOX_TENANT_SCIM_TOKEN (never a
   * flag: argv is visible to every user of the machine). A supervisor restarting the in-memory sandbox gets the
   * same tenant back before the sandbox accepts its first request.
   */
  firstTenantCredentials?: { reporting_api_key: string; scim_token: string };
}

/** Parses `--flag value` / `--flag=value` arguments; throws with a usage message on bad input. */
export function parseSandboxArgs(argv: readonly string[], env: NodeJS.ProcessEnv): SandboxCliOptions {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const eq = arg.indexOf('=');
    if (eq > 0) values.set(arg.slice(2, eq), arg.slice(eq + 1));
    else values.set(arg.slice(2), argv[++i] ?? '');
  }
  const known = new Set([
    'port', 'host', 'seed', 'users', 'region', 'rate-limit', 'tenants', 'response-time',
    // fleet mode (issue 16): --rate-profile is the fleet's name for --rate-limit
    'users-per-tenant', 'rate-profile', 'time-scale', 'dirty-share', 'mutations-per-tenant-hour', 'max-live-tenants',
    'page-cache-mb',
  ]);
  for (const key of values.keys()) if (!known.has(key)) throw new Error(`unknown option --${key}`);
  const int = (name: string, fallback: number): number => {
    const raw = values.get(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw)) throw new Error(`--${name} must be a non-negative integer`);
    return Number(raw);
  };
  const region = values.get('region') ?? 'us';
  if (!isRegion(region)) throw new Error('--region must be one of us, eu, ca, uk, de');
  const rateLimit = values.get('rate-limit') ?? values.get('rate-profile') ?? 'documented';
  if (rateLimit !== 'documented' && rateLimit !== 'seed' && rateLimit !== 'off') throw new Error('--rate-limit (--rate-profile) must be documented, seed or off');
  const timeScale = parseTimeScale(values.get('time-scale') ?? env.TIME_SCALE ?? '1');
  const fleet = values.has('users-per-tenant') ? parseFleet(values, int) : undefined;
  const responseTime = values.get('response-time') ?? env.SANDBOX_RESPONSE_TIME ?? 'off';
  if (!isResponseTimeProfile(responseTime)) throw new Error('--response-time must be off or recorded');
  const reportingKey = env.SANDBOX_TENANT_REPORTING_API_KEY;
  const scimToken = env.SANDBOX_TENANT_SCIM_TOKEN;
  if ((reportingKey === undefined) !== (scimToken === undefined)) {
    throw new Error('set both SANDBOX_TENANT_REPORTING_API_KEY and SANDBOX_TENANT_SCIM_TOKEN, or neither');
  }
  for (const [name, value] of [['SANDBOX_TENANT_REPORTING_API_KEY', reportingKey], ['SANDBOX_TENANT_SCIM_TOKEN', scimToken]] as const) {
    if (value !== undefined && !/^[\x21-\x7e]{8,200}$/.test(value)) throw new Error(`${name} must be 8-200 visible ASCII characters`);
  }
  return {
    port: int('port', env.SANDBOX_PORT ? Number(env.SANDBOX_PORT) : 4010),
    host: values.get('host') ?? '127.0.0.1',
    seed: int('seed', 1),
    users: int('users', 300),
    region,
    rateLimit,
    tenants: Math.max(0, int('tenants', 1)),
    responseTime,
    timeScale,
    fleet,
    firstTenantCredentials: reportingKey !== undefined && scimToken !== undefined ? { reporting_api_key: reportingKey, scim_token: scimToken } : undefined,
  };
}

function parseTimeScale(raw: string): number {
  const timeScale = Number(raw);
  if (!Number.isFinite(timeScale) || timeScale < 1 || timeScale > 3600) throw new Error('--time-scale (TIME_SCALE) must be a number from 1 to 3600');
  return timeScale;
}

/** Fleet mode's options (`--users-per-tenant` turns it on). */
function parseFleet(values: Map<string, string>, int: (name: string, fallback: number) => number): FleetOptions {
  const share = (name: string, fallback: number): number => {
    const raw = values.get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (raw === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new Error(`--${name} must be a number from 0 to 1`);
    return n;
  };
  const rawRate = values.get('mutations-per-tenant-hour') ?? '1';
  const mutationsPerTenantHour = Number(rawRate);
  if (!Number.isFinite(mutationsPerTenantHour) || mutationsPerTenantHour < 0) throw new Error('--mutations-per-tenant-hour must be a non-negative number');
  return {
    tenants: Math.max(0, int('tenants', 1)),
    usersPerTenant: int('users-per-tenant', 1000),
    dirtyShare: share('dirty-share', 0.1),
    mutationsPerTenantHour,
    maxLiveTenants: Math.max(1, int('max-live-tenants', 64)),
    pageCacheMb: int('page-cache-mb', 256),
  };
}
