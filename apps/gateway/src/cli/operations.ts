import { type operations, unwrap } from '@kb4/client';
import { CliCommand, CliUsageError } from './context';

type OperationStatus = NonNullable<NonNullable<operations['operations_list']['parameters']['query']>['status']>;
// from the client's types, not @kb4/persistence: the CLI loads no database code (it starts faster)
const OPERATION_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const satisfies readonly OperationStatus[];

/** The DLQ tooling of the API (GET /operations?status=failed, GET /operations/{id}, POST …/retry) for operators. */
export const operationCommands: CliCommand[] = [
  {
    words: ['operation', 'list'],
    usage: 'operation list [--status queued|running|succeeded|failed] [--account <id>] [--limit 1-500]',
    async run({ args, print, workspace }) {
      args.only('status', 'account', 'limit');
      const status = args.optional('status');
      if (status !== undefined && !(OPERATION_STATUSES as readonly string[]).includes(status)) {
        throw new CliUsageError(`--status must be one of ${OPERATION_STATUSES.join(', ')}`);
      }
      const limit = Number(args.optional('limit') ?? 50);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new CliUsageError('--limit must be 1-500');
      const query = { status: status as OperationStatus | undefined, integrated_account_id: args.optional('account'), limit };
      print(unwrap(await workspace().GET('/operations', { params: { query } })));
    },
  },
  {
    words: ['operation', 'show'],
    usage: 'operation show --id <operation id>',
    async run({ args, print, workspace }) {
      args.only('id');
      print(unwrap(await workspace().GET('/operations/{id}', { params: { path: { id: args.required('id') } } })));
    },
  },
  {
    words: ['operation', 'retry'],
    usage: 'operation retry --id <operation id>   (re-publishes a failed operation, or a queued/running one with no progress for OPERATION_STALL_SECONDS)',
    async run({ args, print, workspace }) {
      args.only('id');
      print(unwrap(await workspace().POST('/operations/{id}/retry', { params: { path: { id: args.required('id') } } })));
    },
  },
];
