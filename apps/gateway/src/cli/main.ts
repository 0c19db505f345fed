import 'reflect-metadata';
import { accountCommands, describeCliError } from './accounts';
import { CliCommand, CliUsageError, createCliContext } from './context';
import { eventCommands } from './events';
import { operationCommands } from './operations';
import { workspaceCommands } from './workspaces';

/**
 * `npm run cli -- <noun> <verb> [--flags]`: the gateway's operator commands — a second entry point of the gateway
 * app (beside main.ts) that goes through the gateway's REST API with the typed client (@kb4/client): workspace and API-key
 * commands use the admin API (operator token), the others a workspace API key. Connection: KB4_GATEWAY_URL,
 * KB4_ADMIN_TOKEN, KB4_API_KEY (or --gateway-url, --admin-token, --api-key), defaulting to .local/demo.json. Each `apps/gateway/src/cli/*.ts` exports a list of
 * commands; register a new list with one line below.
 */
const COMMANDS: CliCommand[] = [
  ...workspaceCommands,
  ...accountCommands,
  ...operationCommands,
  ...eventCommands,
];

function usage(): string {
  return [
    'usage: npm run cli -- <command>',
    ...COMMANDS.map((command) => `  ${command.usage}`),
    'connection (every command): KB4_GATEWAY_URL, KB4_ADMIN_TOKEN (workspace, api-key), KB4_API_KEY (account, operation)',
    '  or --gateway-url, --admin-token, --api-key; defaults: .local/demo.json of npm start',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [noun, verb, ...rest] = argv;
  const command = COMMANDS.find((c) => c.words[0] === noun && c.words[1] === verb);
  if (!command) {
    process.stderr.write(`${noun ? `unknown command: ${[noun, verb].filter(Boolean).join(' ')}\n` : ''}${usage()}\n`);
    return 64;
  }
  try {
    await command.run(createCliContext(rest));
    return 0;
  } catch (error) {
    if (error instanceof CliUsageError) {
      process.stderr.write(`${error.message}\nusage: npm run cli -- ${command.usage}\n`);
      return 64;
    }
    const apiError = describeCliError(error);
    if (apiError) {
      process.stderr.write(`${apiError}\n`);
      return 1;
    }
    process.stderr.write(`${(error as Error).message}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  },
);
