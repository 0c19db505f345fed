import { parseSandboxArgs } from './cli/parse-args';
import { startSandbox } from './sandbox';
import type { TenantCredentials } from './store/sandbox-store';

/** `npm run sandbox -- --users 1000 --region eu`: prints a human block, then one JSON line for parent processes. */
async function main(): Promise<void> {
  let options;
  try {
    options = parseSandboxArgs(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\nusage: sandbox [--port N] [--host H] [--seed N] [--users N] [--region us|eu|ca|uk|de] [--rate-limit documented|seed|off] [--tenants K] [--response-time off|recorded]\n`);
    process.exit(2);
  }
  const started = Date.now();
  const sandbox = await startSandbox({ port: options.port, host: options.host, rateLimitProfile: options.rateLimit, responseTime: options.responseTime });
  const tenants: TenantCredentials[] = [];
  // Created in the same tick as the listen callback: no request is served before the tenants exist.
  for (let k = 0; k < options.tenants; k++)
    tenants.push(
      sandbox.createTenant({
        seed: options.seed + k,
        users: options.users,
        region: options.region,
        rate_limit_profile: options.rateLimit,
        ...(k === 0 ? options.firstTenantCredentials : {}),
      }),
    );
  const lines = [`KnowBe4 sandbox listening on ${sandbox.url} (ready in ${Date.now() - started} ms; response time: ${options.responseTime})`];
  for (const t of tenants)
    lines.push(
      '',
      `  tenant id           ${t.id}  (${t.users} users, ${t.groups} groups)`,
      `  region              ${t.region}`,
      `  reporting base URL  ${t.reporting_base_url}`,
      `  reporting API key   ${t.reporting_api_key}`,
      `  SCIM base URL       ${t.scim_base_url}`,
      `  SCIM token          ${t.scim_token}`,
    );
  lines.push('', `  admin API           ${sandbox.url}/_sandbox (see apps/knowbe4-sandbox/README.md)`, '');
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stdout.write(`${JSON.stringify({ sandbox_url: sandbox.url, tenants })}\n`);
  const stop = (): void => {
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
