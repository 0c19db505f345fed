import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createKb4Client, Kb4Client } from '@kb4/client';

export class CliUsageError extends Error {}

/** Flags every command takes: where the gateway is and the credential to use (better passed by env, see usage). */
const CONNECTION_FLAGS = ['gateway-url', 'admin-token', 'api-key'];

/** `--name value` / `--name=value` flags after the command words. */
export class CliArgs {
  private readonly flags = new Map<string, string>();

  constructor(argv: string[]) {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i];
      if (!arg.startsWith('--')) throw new CliUsageError(`unexpected argument: ${arg}`);
      const eq = arg.indexOf('=');
      if (eq !== -1) this.flags.set(arg.slice(2, eq), arg.slice(eq + 1));
      else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) this.flags.set(arg.slice(2), argv[++i]);
      else this.flags.set(arg.slice(2), 'true');
    }
  }

  required(name: string): string {
    const value = this.flags.get(name);
    if (value === undefined || value === '') throw new CliUsageError(`--${name} is required`);
    return value;
  }

  optional(name: string): string | undefined {
    return this.flags.get(name);
  }

  /** Refuses flags the command does not know, so a typo never silently does something else. */
  only(...known: string[]): void {
    const unknown = [...this.flags.keys()].filter((flag) => !known.includes(flag) && !CONNECTION_FLAGS.includes(flag));
    if (unknown.length) throw new CliUsageError(`unknown option(s): ${unknown.map((f) => `--${f}`).join(', ')}`);
  }
}

export interface CliContext {
  args: CliArgs;
  /** Prints one JSON document to stdout (scripts parse it). */
  print: (value: unknown) => void;
  /** The gateway's admin API with the operator token (workspaces, API keys). */
  admin: () => Kb4Client;
  /** The gateway's workspace API with an API key (accounts, operations). */
  workspace: () => Kb4Client;
  /** The Kafka brokers to read events from. */
  kafkaBrokers: () => string[];
}

/** A CLI command: `words` is what follows `npm run cli --`, e.g. ['account', 'connect']. */
export interface CliCommand {
  words: [string, string];
  usage: string;
  run(context: CliContext): Promise<void>;
}

interface LocalDemo {
  gateway_url?: string;
  admin_token?: string;
  api_key?: string;
  kafka_brokers?: string;
}

// Local runs: what `npm start` wrote to .local/demo.json is the default of every connection setting.
function localDemo(): LocalDemo {
  const path = join(resolve(process.env.KB4_LOCAL_DIR ?? join(__dirname, '../../../../.local')), 'demo.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as LocalDemo) : {};
}

function setting(value: string | undefined, what: string, how: string): string {
  if (!value) throw new CliUsageError(`no ${what}: ${how}`);
  return value;
}

export function createCliContext(argv: string[]): CliContext {
  const args = new CliArgs(argv);
  let demo: LocalDemo | undefined;
  const local = (): LocalDemo => (demo ??= localDemo());
  const baseUrl = (): string =>
    setting(args.optional('gateway-url') ?? process.env.KB4_GATEWAY_URL ?? local().gateway_url, 'gateway URL', 'set KB4_GATEWAY_URL or --gateway-url (npm start writes it to .local/demo.json)');
  return {
    args,
    print: (value) => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    admin: () => {
      const how = 'set KB4_ADMIN_TOKEN (the gateway\'s ADMIN_TOKEN) or --admin-token (npm start writes admin_token to .local/demo.json)';
      const adminToken = setting(args.optional('admin-token') ?? process.env.KB4_ADMIN_TOKEN ?? local().admin_token, 'admin token', how);
      return createKb4Client({ baseUrl: baseUrl(), adminToken });
    },
    workspace: () => {
      const how = 'set KB4_API_KEY (a workspace API key) or --api-key (npm start writes the demo api_key to .local/demo.json)';
      return createKb4Client({ baseUrl: baseUrl(), apiKey: setting(args.optional('api-key') ?? process.env.KB4_API_KEY ?? local().api_key, 'API key', how) });
    },
    // with no KAFKA_BROKERS, follow the broker of the local stack that `npm start` recorded
    kafkaBrokers: () => (process.env.KAFKA_BROKERS || local().kafka_brokers || '127.0.0.1:9092').split(',').map((broker) => broker.trim()),
  };
}
