import { parseSandboxArgs, type SandboxCliOptions } from './cli/parse-args';
import { ConsoleTrickle } from './fleet/console-trickle';
import { fleetTenantSpecs } from './fleet/fleet-plan';
import { startSandbox, type RunningSandbox } from './sandbox';
import type { TenantCredentials } from './store/sandbox-store';

const USAGE =
  'usage: sandbox [--port N] [--host H] [--seed N] [--users N] [--region us|eu|ca|uk|de] [--rate-limit documented|seed|off] [--tenants K] [--response-time off|recorded] [--time-scale S]\n' +
  '       fleet mode: --tenants K --users-per-tenant N [--rate-profile documented|seed|off] [--dirty-share 0.1] [--mutations-per-tenant-hour 1] [--max-live-tenants 64] [--page-cache-mb 256]\n';

/** `npm run sandbox -- --users 1000 --region eu`: prints a human block, then one JSON line for parent processes. */
async function main(): Promise<void> {
  let options: SandboxCliOptions;
  try {
    options = parseSandboxArgs(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const started = Date.now();
  const sandbox = await startSandbox({
    port: options.port,
    host: options.host,
    rateLimitProfile: options.rateLimit,
    responseTime: options.responseTime,
    timeScale: options.timeScale,
    maxLiveTenants: options.fleet?.maxLiveTenants,
    pageCacheMb: options.fleet?.pageCacheMb,
  });
  let stopTrickle = (): void => undefined;
  if (options.fleet) stopTrickle = startFleet(sandbox, options, started);
  else startTenants(sandbox, options, started);
  const stop = (): void => {
    stopTrickle();
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function startTenants(sandbox: RunningSandbox, options: SandboxCliOptions, started: number): void {
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
  const lines = [`KnowBe4 sandbox listening on ${sandbox.url} (ready in ${Date.now() - started} ms; response time: ${options.responseTime}${scaleNote(options)})`];
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
}

/** Fleet mode: lazily seeded tenants (bounded memory), mixed regions, a dirty share and a trickle of console edits. */
function startFleet(sandbox: RunningSandbox, options: SandboxCliOptions, started: number): () => void {
  const fleet = options.fleet!;
  const specs = fleetTenantSpecs(options.seed, fleet, options.rateLimit);
  const tenants = specs.map((spec) => sandbox.registerLazyTenant(spec));
  const trickle = new ConsoleTrickle(
    sandbox.store,
    specs.map((spec) => ({ id: spec.id!, seed: spec.seed! })),
    { seed: options.seed, perTenantHour: fleet.mutationsPerTenantHour, timeScale: options.timeScale },
  );
  trickle.start();
  const regions = new Map<string, number>();
  for (const t of tenants) regions.set(t.region, (regions.get(t.region) ?? 0) + 1);
  const lines = [
    `KnowBe4 sandbox (fleet) listening on ${sandbox.url} (ready in ${Date.now() - started} ms; response time: ${options.responseTime}${scaleNote(options)})`,
    `  ${tenants.length} tenants × ${fleet.usersPerTenant} users, rate profile ${options.rateLimit}; regions ${[...regions].map(([r, n]) => `${r} ${n}`).join(', ')}`,
    `  dirty tenants ${tenants.filter((t) => t.dirty).length}; console edits ${fleet.mutationsPerTenantHour} per tenant per simulated hour`,
    `  at most ${fleet.maxLiveTenants} tenants in memory; the rest are seeded again from their seed (and edits) when asked for`,
    `  directory pages of unchanged tenants kept deflated (at most ${fleet.pageCacheMb} MB): a no-change sync seeds nothing`,
    `  memory and tenants in memory: GET ${sandbox.url}/_sandbox/health`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stdout.write(`${JSON.stringify({ sandbox_url: sandbox.url, time_scale: options.timeScale, tenants })}\n`);
  return () => trickle.stop();
}

const scaleNote = (options: SandboxCliOptions): string =>
  options.timeScale === 1 ? '' : `; time scale ${options.timeScale}: a second of rate window lasts ${(1000 / options.timeScale).toFixed(1)} ms, the daily window ${(1440 / options.timeScale).toFixed(1)} min`;

void main();
