import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { CredentialCipher, createDataSource } from '@kb4/persistence';
import { loadConfig } from '@kb4/platform';
import { GatewayConfig } from '../config/gateway.config';

export class CliUsageError extends Error {}

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
    const unknown = [...this.flags.keys()].filter((flag) => !known.includes(flag));
    if (unknown.length) throw new CliUsageError(`unknown option(s): ${unknown.map((f) => `--${f}`).join(', ')}`);
  }
}

export interface CliContext {
  args: CliArgs;
  config: GatewayConfig;
  /** Prints one JSON document to stdout (scripts parse it). */
  print: (value: unknown) => void;
  withDataSource: <T>(run: (dataSource: DataSource, cipher: CredentialCipher) => Promise<T>) => Promise<T>;
}

/** A CLI command: `words` is what follows `npm run cli --`, e.g. ['account', 'connect']. */
export interface CliCommand {
  words: [string, string];
  usage: string;
  run(context: CliContext): Promise<void>;
}

// Local runs keep their key in .local/credentials.key (npm start writes it); production passes CREDENTIALS_KEY.
function credentialsKeyFromLocalRun(): string | undefined {
  const path = join(resolve(process.env.KB4_LOCAL_DIR ?? join(__dirname, '../../../../.local')), 'credentials.key');
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}

export function createCliContext(argv: string[]): CliContext {
  const env = { ...process.env };
  env.CREDENTIALS_KEY ||= credentialsKeyFromLocalRun();
  const config = loadConfig(GatewayConfig, env);
  return {
    args: new CliArgs(argv),
    config,
    print: (value) => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    withDataSource: async (run) => {
      const cipher = CredentialCipher.fromConfig(config);
      const dataSource = await createDataSource(config.DATABASE_URL, { extra: { max: 2 } }).initialize();
      try {
        return await run(dataSource, cipher);
      } finally {
        await dataSource.destroy();
      }
    },
  };
}
