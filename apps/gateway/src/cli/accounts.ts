import { type components, Kb4ApiError, unwrap } from '@kb4/client';
import { CliCommand, CliUsageError } from './context';

type Region = components['schemas']['CreateIntegratedAccountDto']['region'];
const REGIONS = ['us', 'eu', 'ca', 'uk', 'de'] as const satisfies readonly Region[];
const isRegion = (value: string): value is Region => (REGIONS as readonly string[]).includes(value);

/** Integrated accounts of the API key's workspace, through the gateway's REST API (credentials checked there). */
export const accountCommands: CliCommand[] = [
  {
    words: ['account', 'connect'],
    usage: 'account connect --region us|eu|ca|uk|de --reporting-api-key <key> --scim-token <token> [--scim-base-url <url>] [--label <label>]',
    async run({ args, print, workspace }) {
      args.only('region', 'reporting-api-key', 'scim-token', 'scim-base-url', 'label');
      const region = args.required('region');
      if (!isRegion(region)) throw new CliUsageError('--region must be one of us, eu, ca, uk, de');
      const body = {
        label: args.optional('label') ?? `KnowBe4 ${region}`,
        region,
        reporting_api_key: args.required('reporting-api-key'),
        scim_token: args.required('scim-token'),
        scim_base_url: args.optional('scim-base-url'),
      };
      // the gateway checks both credentials against KnowBe4 before anything is saved
      print(unwrap(await workspace().POST('/integrated-accounts', { body })));
    },
  },
  {
    words: ['account', 'list'],
    usage: 'account list',
    async run({ args, print, workspace }) {
      args.only();
      const client = workspace();
      const result = [];
      let cursor: string | undefined;
      do {
        const page = unwrap(await client.GET('/integrated-accounts', { params: { query: { limit: 500, next_cursor: cursor } } }));
        result.push(...page.result);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      print({ result, result_count: result.length });
    },
  },
];

/** How an API error reads on a terminal: status, message and the field details. */
export function describeCliError(error: unknown): string | undefined {
  if (!(error instanceof Kb4ApiError)) return undefined;
  const details = error.body?.details === undefined ? '' : `\n${JSON.stringify(error.body.details, null, 2)}`;
  return `${error.message}${details}`;
}
