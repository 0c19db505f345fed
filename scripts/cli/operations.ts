import { OperationRepository, OutboxRepository, WorkspaceRepository } from '@kb4/persistence';
import { OPERATION_STATUSES } from '../../apps/gateway/src/provisioning/write-requests.dto';
import { operationView } from '../../apps/gateway/src/provisioning/operation-view';
import { commandMessage, StoredRequest } from '../../apps/gateway/src/provisioning/write-intents';
import { CliCommand, CliUsageError } from './context';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function uuidFlag(value: string, name: string): string {
  if (!UUID.test(value)) throw new CliUsageError(`--${name} must be a UUID`);
  return value.toLowerCase();
}

async function requireWorkspace(workspaces: WorkspaceRepository, id: string): Promise<void> {
  if (!(await workspaces.findWorkspace(id))) throw new CliUsageError(`no workspace ${id}`);
}

/** The DLQ tooling of the API (GET /operations?status=failed, GET /operations/{id}, POST …/retry) for operators. */
export const operationCommands: CliCommand[] = [
  {
    words: ['operation', 'list'],
    usage: 'operation list --workspace <id> [--status queued|running|succeeded|failed] [--account <id>] [--limit 1-500]',
    async run(context) {
      const { args } = context;
      args.only('workspace', 'status', 'account', 'limit');
      const workspaceId = uuidFlag(args.required('workspace'), 'workspace');
      const status = args.optional('status');
      if (status !== undefined && !(OPERATION_STATUSES as readonly string[]).includes(status)) {
        throw new CliUsageError(`--status must be one of ${OPERATION_STATUSES.join(', ')}`);
      }
      const limit = Number(args.optional('limit') ?? 50);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new CliUsageError('--limit must be 1-500');
      const account = args.optional('account');
      const operations = await context.withDataSource(async (dataSource) => {
        await requireWorkspace(new WorkspaceRepository(dataSource), workspaceId);
        return new OperationRepository(dataSource).listInWorkspace(workspaceId, {
          status: status as (typeof OPERATION_STATUSES)[number] | undefined,
          accountId: account === undefined ? undefined : uuidFlag(account, 'account'),
          limit,
        });
      });
      context.print({ result: operations.map(operationView), result_count: operations.length });
    },
  },
  {
    words: ['operation', 'show'],
    usage: 'operation show --workspace <id> --id <operation id>',
    async run(context) {
      const { args } = context;
      args.only('workspace', 'id');
      const workspaceId = uuidFlag(args.required('workspace'), 'workspace');
      const id = uuidFlag(args.required('id'), 'id');
      const operation = await context.withDataSource((dataSource) => new OperationRepository(dataSource).findInWorkspace(workspaceId, id));
      if (!operation) throw new CliUsageError(`no operation ${id} in workspace ${workspaceId}`);
      context.print(operationView(operation));
    },
  },
  {
    words: ['operation', 'retry'],
    usage: 'operation retry --workspace <id> --id <operation id>   (re-publishes a failed operation; the gateway relays it)',
    async run(context) {
      const { args } = context;
      args.only('workspace', 'id');
      const workspaceId = uuidFlag(args.required('workspace'), 'workspace');
      const id = uuidFlag(args.required('id'), 'id');
      const requeued = await context.withDataSource((dataSource) =>
        new OperationRepository(dataSource).requeueFailed(workspaceId, id, async (manager, operation) => {
          const command = (operation.request as StoredRequest).command;
          await new OutboxRepository(dataSource).enqueue(manager, [commandMessage(operation, command, operation.attempts + 1)]);
        }),
      );
      if (!requeued) throw new CliUsageError(`operation ${id} is not a failed operation of workspace ${workspaceId}`);
      context.print(operationView(requeued));
    },
  },
];
