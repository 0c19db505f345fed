import { parseSandboxArgs } from './parse-args';

describe('sandbox command line', () => {
  it('has defaults a new user can run without flags', () => {
    expect(parseSandboxArgs([], {})).toEqual({
      port: 4010,
      host: '127.0.0.1',
      seed: 1,
      users: 300,
      region: 'us',
      rateLimit: 'documented',
      tenants: 1,
      responseTime: 'off',
      timeScale: 1,
    });
  });

  it('turns on fleet mode with --users-per-tenant, takes --rate-profile for --rate-limit and TIME_SCALE for --time-scale', () => {
    const options = parseSandboxArgs(['--tenants', '1000', '--users-per-tenant', '1000', '--rate-profile', 'documented', '--dirty-share=0.2'], { TIME_SCALE: '60' });
    expect(options).toMatchObject({ rateLimit: 'documented', timeScale: 60 });
    expect(options.fleet).toEqual({ tenants: 1000, usersPerTenant: 1000, dirtyShare: 0.2, mutationsPerTenantHour: 1, maxLiveTenants: 64, pageCacheMb: 256 });
    expect(parseSandboxArgs(['--tenants', '3'], {}).fleet).toBeUndefined();
  });

  it('reads --flag value and --flag=value, and the environment where a flag is absent', () => {
    const options = parseSandboxArgs(['--port=0', '--users', '25', '--region', 'eu', '--rate-limit=off', '--tenants', '0'], {
      SANDBOX_RESPONSE_TIME: 'recorded',
    });
    expect(options).toMatchObject({ port: 0, users: 25, region: 'eu', rateLimit: 'off', tenants: 0, responseTime: 'recorded' });
    expect(parseSandboxArgs(['--response-time', 'off'], { SANDBOX_RESPONSE_TIME: 'recorded', SANDBOX_PORT: '4999' })).toMatchObject({
      responseTime: 'off',
      port: 4999,
    });
  });

  it('takes the first tenant\'s credentials from the environment only, both or neither', () => {
    const env = { SANDBOX_TENANT_REPORTING_API_KEY: 'demo-reporting-0123456789', SANDBOX_TENANT_SCIM_TOKEN: 'demo-scim-0123456789' };
    expect(parseSandboxArgs([], env).firstTenantCredentials).toEqual({ reporting_api_key: 'demo-reporting-0123456789', scim_token: 'demo-scim-0123456789' });
    expect(() => parseSandboxArgs([], { SANDBOX_TENANT_SCIM_TOKEN: 'demo-scim-0123456789' })).toThrow(/both SANDBOX_TENANT_REPORTING_API_KEY and SANDBOX_TENANT_SCIM_TOKEN/);
    expect(() => parseSandboxArgs([], { ...env, SANDBOX_TENANT_SCIM_TOKEN: 'bad token with spaces' })).toThrow(/SANDBOX_TENANT_SCIM_TOKEN must be 8-200 visible ASCII/);
  });

  it.each([
    [['--colour', 'blue'], /unknown option --colour/],
    [['users'], /unexpected argument users/],
    [['--users', '-3'], /--users must be a non-negative integer/],
    [['--region', 'mars'], /--region must be one of/],
    [['--rate-limit', 'fast'], /--rate-limit \(--rate-profile\) must be documented, seed or off/],
    [['--response-time', 'slow'], /--response-time must be off or recorded/],
    [['--time-scale', '0.5'], /--time-scale \(TIME_SCALE\) must be a number from 1 to 3600/],
    [['--users-per-tenant', '10', '--dirty-share', '2'], /--dirty-share must be a number from 0 to 1/],
  ])('refuses %j naming what is wrong', (argv, message) => {
    expect(() => parseSandboxArgs(argv, {})).toThrow(message);
  });
});
