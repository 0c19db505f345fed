import { isKnowBe4Region, SharedRatePacerRegistry } from '@kb4/knowbe4';
import { AccountAdminRepository, IntegratedAccountRepository, RateBudgetRepository, SyncQueueRepository, WorkspaceRepository } from '@kb4/persistence';
import { ApiError } from '@kb4/platform';
import { AccountScope } from '../accounts/account-scope';
import { toAccountDto } from '../accounts/integrated-account.dto';
import { IntegratedAccountsService } from '../accounts/integrated-accounts.service';
import { KnowBe4ClientFactory } from '../accounts/knowbe4-clients';
import { CliCommand, CliUsageError } from './context';

async function requireWorkspace(workspaces: WorkspaceRepository, id: string): Promise<void> {
  if (!/^[0-9a-f-]{36}$/i.test(id) || !(await workspaces.findWorkspace(id))) throw new CliUsageError(`no workspace ${id}`);
}

export const accountCommands: CliCommand[] = [
  {
    words: ['account', 'connect'],
    usage:
      'account connect --workspace <id> --region us|eu|ca|uk|de --reporting-api-key <key> --scim-token <token> [--scim-base-url <url>] [--label <label>]',
    async run({ args, config, print, withDataSource }) {
      args.only('workspace', 'region', 'reporting-api-key', 'scim-token', 'scim-base-url', 'label');
      const region = args.required('region');
      if (!isKnowBe4Region(region)) throw new CliUsageError('--region must be one of us, eu, ca, uk, de');
      const workspaceId = args.required('workspace');
      const account = await withDataSource(async (dataSource, cipher) => {
        await requireWorkspace(new WorkspaceRepository(dataSource), workspaceId);
        const accounts = new IntegratedAccountRepository(dataSource, cipher);
        // the same service the API uses: both credentials are checked against KnowBe4 before anything is saved
        const service = new IntegratedAccountsService(
          config,
          accounts,
          new AccountAdminRepository(dataSource, cipher),
          new SyncQueueRepository(dataSource),
          new AccountScope(accounts),
          new KnowBe4ClientFactory(config, accounts, new SharedRatePacerRegistry(new RateBudgetRepository(dataSource))),
        );
        return service.connect(workspaceId, {
          label: args.optional('label') ?? `KnowBe4 ${region}`,
          region,
          reporting_api_key: args.required('reporting-api-key'),
          scim_token: args.required('scim-token'),
          scim_base_url: args.optional('scim-base-url'),
        });
      });
      print(toAccountDto(account));
    },
  },
  {
    words: ['account', 'list'],
    usage: 'account list --workspace <id>',
    async run({ args, print, withDataSource }) {
      args.only('workspace');
      const workspaceId = args.required('workspace');
      const accounts = await withDataSource(async (dataSource, cipher) => {
        await requireWorkspace(new WorkspaceRepository(dataSource), workspaceId);
        return new IntegratedAccountRepository(dataSource, cipher).listInWorkspace(workspaceId);
      });
      print({ result: accounts.map(toAccountDto) });
    },
  },
];

/** How an API error of the shared service reads on a terminal. */
export function describeCliError(error: unknown): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const details = error.details === undefined ? '' : `\n${JSON.stringify(error.details, null, 2)}`;
  return `${error.statusCode}: ${error.message}${details}`;
}
