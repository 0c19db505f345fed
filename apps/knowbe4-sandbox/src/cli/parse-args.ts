import { isRegion, type Region } from '../store/records';
import type { RateLimitProfile } from '../store/tenant-store';
import { isResponseTimeProfile, type ResponseTimeProfile } from '../http/response-time';

export interface SandboxCliOptions {
  port: number;
  host: string;
  seed: number;
  users: number;
  region: Region;
  rateLimit: RateLimitProfile;
  tenants: number;
  responseTime: ResponseTimeProfile;
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
  const known = new Set(['port', 'host', 'seed', 'users', 'region', 'rate-limit', 'tenants', 'response-time']);
  for (const key of values.keys()) if (!known.has(key)) throw new Error(`unknown option --${key}`);
  const int = (name: string, fallback: number): number => {
    const raw = values.get(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw)) throw new Error(`--${name} must be a non-negative integer`);
    return Number(raw);
  };
  const region = values.get('region') ?? 'us';
  if (!isRegion(region)) throw new Error('--region must be one of us, eu, ca, uk, de');
  const rateLimit = values.get('rate-limit') ?? 'documented';
  if (rateLimit !== 'documented' && rateLimit !== 'seed' && rateLimit !== 'off') throw new Error('--rate-limit must be documented, seed or off');
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
    firstTenantCredentials: reportingKey !== undefined && scimToken !== undefined ? { reporting_api_key: reportingKey, scim_token: scimToken } : undefined,
  };
}
