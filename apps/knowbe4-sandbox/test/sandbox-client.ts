import { startSandbox, type CreateTenantOptions, type RunningSandbox, type TenantCredentials } from '../src/sandbox';

/** Small fetch helpers so specs read as KnowBe4 conversations. */
export interface Harness {
  sandbox: RunningSandbox;
  tenant(opts?: CreateTenantOptions): TenantCredentials;
  reporting(t: TenantCredentials, path: string, init?: RequestInit): Promise<Response>;
  scim(t: TenantCredentials, path: string, init?: { method?: string; body?: unknown; raw?: string }): Promise<Response>;
  admin(path: string, method?: string, body?: unknown): Promise<Response>;
}

export async function startHarness(): Promise<Harness> {
  const sandbox = await startSandbox({ port: 0 });
  return {
    sandbox,
    tenant: (opts = {}) => sandbox.createTenant({ rate_limit_profile: 'off', users: 40, ...opts }),
    reporting: (t, path, init = {}) =>
      fetch(`${t.reporting_base_url}${path}`, { ...init, headers: { authorization: `Bearer ${t.reporting_api_key}`, ...(init.headers as Record<string, string>) } }),
    scim: (t, path, init = {}) =>
      fetch(`${t.scim_base_url}${path}`, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${t.scim_token}`, 'content-type': 'application/scim+json' },
        body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
      }),
    admin: (path, method = 'GET', body) =>
      fetch(`${sandbox.url}/_sandbox${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
  };
}

/** A parsed JSON body that assertions probe field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary nested JSON
export type Doc = Record<string, any>;
