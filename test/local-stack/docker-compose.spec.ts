import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { load, YAML11_SCHEMA } from 'js-yaml';
import { loadConfig } from '@kb4/platform';
import { GatewayConfig } from '../../apps/gateway/src/config/gateway.config';
import { PollerConfig } from '../../apps/poller/src/config/poller.config';
import { ProvisionerConfig } from '../../apps/provisioner/src/config/provisioner.config';
import { DispatcherConfig } from '../../apps/webhook-dispatcher/src/config/dispatcher.config';
import { AutomationsConfig } from '../../apps/automations/src/config/automations.config';
import { parseSandboxArgs } from '../../apps/knowbe4-sandbox/src/cli/parse-args';

/**
 * No Docker engine runs where the tests run, so docker-compose.yml is checked without one: every service's
 * command names a file that exists, and the environment compose gives each process passes that process's own
 * config validation (the check it runs at boot before refusing to start).
 */
const root = resolve(__dirname, '../..');

interface ComposeService {
  command?: string[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  build?: string;
  ports?: string[];
}

// Compose files use YAML 1.1 merge keys (`<<: *service`).
const compose = load(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { schema: YAML11_SCHEMA }) as { services: Record<string, ComposeService> };

/** `${NAME}`, `${NAME:-default}` and `${NAME:?message}` as compose interpolates them from the shell. */
function interpolate(value: string, shell: Record<string, string>): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g, (_match, name: string, kind?: string, rest?: string) => {
    const set = shell[name];
    if (set !== undefined && set !== '') return set;
    if (kind === '-') return rest ?? '';
    if (kind === '?') throw new Error(`compose refuses to start: ${rest ?? name}`);
    return '';
  });
}

// The image's own ENV lines (Dockerfile), under the service's environment.
const imageEnv = Object.fromEntries(
  [...readFileSync(join(root, 'Dockerfile'), 'utf8').matchAll(/^ENV (.+)$/gm)].flatMap((line) => line[1].split(/\s+/).map((pair) => pair.split('=') as [string, string])),
);

function environmentOf(service: string, shell: Record<string, string>): NodeJS.ProcessEnv {
  const env = compose.services[service].environment ?? {};
  return { ...imageEnv, ...Object.fromEntries(Object.entries(env).map(([name, value]) => [name, interpolate(String(value), shell)])) };
}

const shell = { CREDENTIALS_KEY: Buffer.alloc(32, 7).toString('base64') };

describe('docker-compose.yml (checked without a Docker engine)', () => {
  it.each([
    ['gateway', GatewayConfig],
    ['poller', PollerConfig],
    ['provisioner', ProvisionerConfig],
    ['webhook-dispatcher', DispatcherConfig],
    ['automations', AutomationsConfig],
  ] as const)('gives the %s the environment its boot validation accepts, on the compose network', (service, configClass) => {
    const env = environmentOf(service, shell);
    const config = loadConfig(configClass as new () => object, env) as Record<string, unknown>;
    expect(config.DATABASE_URL).toBe('postgres://postgres:postgres@postgres:5432/kb4');
    expect(config.KAFKA_BROKERS).toBe('kafka:9092');
    expect(env.HTTP_HOST).toBe('0.0.0.0');
    expect(env.NODE_ENV).toBe('production');
    expect(compose.services[service].depends_on).toMatchObject({
      postgres: { condition: 'service_healthy' },
      kafka: { condition: 'service_healthy' },
      migrate: { condition: 'service_completed_successfully' },
    });
  });

  it('refuses to start without CREDENTIALS_KEY, saying what to set', () => {
    expect(() => environmentOf('gateway', {})).toThrow(/set CREDENTIALS_KEY/);
  });

  it('runs commands that exist in the image', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (!service.command) continue;
      const script = service.command.find((part) => part.endsWith('.ts'));
      expect({ name, script, exists: script !== undefined && existsSync(join(root, script)) }).toEqual({ name, script, exists: true });
    }
  });

  it('publishes only the gateway beyond this machine: the sandbox (whose admin API lists every key) on loopback', () => {
    const published = Object.entries(compose.services).flatMap(([name, service]) => (service.ports ?? []).map((port) => ({ name, port: String(port) })));
    expect(published.map(({ name }) => name).sort()).toEqual(['gateway', 'sandbox']);
    expect(published.find(({ name }) => name === 'sandbox')?.port).toBe('127.0.0.1:4010:4010');
    for (const { name, port } of published) {
      // host-ip:host-port:container-port; without a host ip Docker binds every interface
      if (name !== 'gateway') expect({ name, port }).toEqual({ name, port: expect.stringMatching(/^127\.0\.0\.1:\d+:\d+$/) });
    }
  });

  it('starts the sandbox with arguments it accepts, reachable from the other containers', () => {
    const args = compose.services.sandbox.command!.slice(compose.services.sandbox.command!.findIndex((part) => part.endsWith('.ts')) + 1);
    const options = parseSandboxArgs(args, {});
    expect(options).toMatchObject({ host: '0.0.0.0', port: 4010 });
    expect(interpolate(String(compose.services.gateway.environment?.KNOWBE4_BASE_URL_OVERRIDE), shell)).toBe(`http://sandbox:${options.port}`);
  });
});
