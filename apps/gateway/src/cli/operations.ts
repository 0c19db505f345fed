import {
  OPERATION_STATUSES,
  OperationEntity,
  OperationRepository,
  operationView,
  OutboxRepository,
  republishedCommand,
  stalledScanOf,
  WorkspaceRepository,
} from '@kb4/persistence';
import type { EntityManager } from 'typeorm';
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
    usage:
      'operation retry --workspace <id> --id <operation id>   (re-publishes a failed operation, or a queued/running one with no progress for OPERATION_STALL_SECONDS; the gateway relays it)',
    async run(context) {
      const { args } = context;
      args.only('workspace', 'id');
      const workspaceId = uuidFlag(args.required('workspace'), 'workspace');
      const id = uuidFlag(args.required('id'), 'id');
      const stallSeconds = Number(process.env.OPERATION_STALL_SECONDS ?? 90);
      if (!Number.isInteger(stallSeconds) || stallSeconds < 1) throw new CliUsageError('OPERATION_STALL_SECONDS must be a whole number of seconds ≥ 1');
      const requeued = await context.withDataSource(async (dataSource) => {
        const operations = new OperationRepository(dataSource);
        const republish = async (manager: EntityManager, operation: OperationEntity): Promise<void> => {
          await new OutboxRepository(dataSource).enqueue(manager, [republishedCommand(operation)]);
        };
        // as POST /operations/{id}/retry: a failed operation, else a stuck one (same bound as the gateway's reconciler)
        return (
          (await operations.requeueFailed(workspaceId, id, republish)) ??
          (await operations.republishStuck(workspaceId, id, stalledScanOf({ OPERATION_STALL_SECONDS: stallSeconds }), republish))
        );
      });
      if (!requeued) {
        throw new CliUsageError(`operation ${id} of workspace ${workspaceId} is neither failed nor stuck (queued or running with no progress for ${stallSeconds} s)`);
      }
      context.print(operationView(requeued));
    },
  },
];
