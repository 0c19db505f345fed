import { DataSource, EntityManager, Repository } from 'typeorm';
import { IntegratedAccountEntity } from '../entities/integrated-account.entity';
import { OperationEntity, OperationStatus } from '../entities/operations.entities';

/** Postgres channel the operations trigger notifies when an operation reaches a final status. */
export const OPERATION_FINISHED_CHANNEL = 'kb4_operation_finished';

export interface NewOperation {
  /** Chosen by the caller so the command can carry it before the row exists. */
  id: string;
  workspaceId: string;
  accountId: string;
  kind: string;
  targetKey: string;
  request: Record<string, unknown>;
  idempotencyKey?: string | null;
  requestHash?: string | null;
}

export interface RecordedOperation {
  operation: OperationEntity;
  /** True when the idempotency key had been used before and the earlier operation is returned instead. */
  replayed: boolean;
}

export interface OperationListQuery {
  status?: OperationStatus;
  accountId?: string;
  limit: number;
  /** Keyset: operations created strictly before this (created_at, id). */
  before?: { createdAt: Date; id: string };
}

export type OperationOutcome =
  | { status: 'succeeded'; result: Record<string, unknown> }
  | { status: 'failed'; error: Record<string, unknown>; result?: Record<string, unknown> | null };

// Column → property aliases so a RETURNING row is an OperationEntity without another round trip.
const OPERATION_COLUMNS = `id, workspace_id AS "workspaceId", account_id AS "accountId", kind, status, attempts, target_key AS "targetKey",
  request, result, error, idempotency_key AS "idempotencyKey", request_hash AS "requestHash", created_at AS "createdAt",
  updated_at AS "updatedAt", finished_at AS "finishedAt"`;

type TransactionStep = (manager: EntityManager, operation: OperationEntity) => Promise<void>;

/** Provisioning operations: what the gateway accepted, and how the provisioner left it. */
export class OperationRepository {
  private readonly operations: Repository<OperationEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.operations = dataSource.getRepository(OperationEntity);
  }

  /**
   * Inserts a queued operation and runs `alsoInTransaction` (the command's outbox row) in the same transaction.
   * An idempotency key already used in this workspace and account returns that earlier operation, untouched.
   */
  async record(input: NewOperation, alsoInTransaction: TransactionStep): Promise<RecordedOperation> {
    return this.dataSource.transaction(async (manager) => {
      const inserted: OperationEntity[] = await manager.query(
        `INSERT INTO operations (id, workspace_id, account_id, kind, status, attempts, target_key, request, idempotency_key, request_hash)
         VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, $7, $8)
         ON CONFLICT (workspace_id, account_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
         RETURNING ${OPERATION_COLUMNS}`,
        [
          input.id,
          input.workspaceId,
          input.accountId,
          input.kind,
          input.targetKey,
          JSON.stringify(input.request),
          input.idempotencyKey ?? null,
          input.requestHash ?? null,
        ],
      );
      if (inserted.length === 0) {
        const existing = await manager.getRepository(OperationEntity).findOneByOrFail({
          workspaceId: input.workspaceId,
          accountId: input.accountId,
          idempotencyKey: input.idempotencyKey ?? '',
        });
        return { operation: existing, replayed: true };
      }
      const operation = Object.assign(new OperationEntity(), inserted[0]);
      await alsoInTransaction(manager, operation);
      return { operation, replayed: false };
    });
  }

  /** Scoped to the workspace: another workspace's operation is simply not found. */
  findInWorkspace(workspaceId: string, id: string): Promise<OperationEntity | null> {
    return this.operations.findOneBy({ workspaceId, id });
  }

  findById(id: string): Promise<OperationEntity | null> {
    return this.operations.findOneBy({ id });
  }

  /** Newest first, keyset-paged by (created_at, id). */
  listInWorkspace(workspaceId: string, query: OperationListQuery): Promise<OperationEntity[]> {
    const builder = this.operations
      .createQueryBuilder('o')
      .where('o.workspace_id = :workspaceId', { workspaceId })
      .orderBy('o.created_at', 'DESC')
      .addOrderBy('o.id', 'DESC')
      .limit(query.limit);
    if (query.status) builder.andWhere('o.status = :status', { status: query.status });
    if (query.accountId) builder.andWhere('o.account_id = :accountId', { accountId: query.accountId });
    if (query.before) {
      builder.andWhere('(o.created_at, o.id) < (:createdAt, :id)', { createdAt: query.before.createdAt, id: query.before.id });
    }
    return builder.getMany();
  }

  /** The operation a command belongs to and the account whose SCIM endpoint it writes to. */
  async findForExecution(id: string): Promise<{ operation: OperationEntity; account: IntegratedAccountEntity } | null> {
    const operation = await this.operations.findOneBy({ id });
    if (!operation) return null;
    const account = await this.dataSource.getRepository(IntegratedAccountEntity).findOneBy({ id: operation.accountId });
    return account ? { operation, account } : null;
  }

  /** Whether the command (its CloudEvent id) was already applied; redeliveries must not apply it again. */
  async wasProcessed(commandId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM processed_commands WHERE command_id = $1`, [commandId]);
    return rows.length > 0;
  }

  /** Counts one attempt and marks the operation running; null when it has already finished. */
  async startAttempt(id: string): Promise<number | null> {
    // TypeORM answers UPDATE … RETURNING with [rows, rowCount].
    const [rows]: [Array<{ attempts: number }>, number] = await this.dataSource.query(
      `UPDATE operations SET status = 'running', attempts = attempts + 1, updated_at = now()
       WHERE id = $1 AND status IN ('queued', 'running') RETURNING attempts`,
      [id],
    );
    return rows[0]?.attempts ?? null;
  }

  /** Final status plus the processed-command mark, inside the caller's transaction (with the outbox rows). */
  async finish(manager: EntityManager, id: string, commandId: string, outcome: OperationOutcome): Promise<void> {
    await manager.query(
      `UPDATE operations SET status = $2, result = $3, error = $4, updated_at = now(), finished_at = now() WHERE id = $1`,
      [
        id,
        outcome.status,
        outcome.status === 'succeeded' ? JSON.stringify(outcome.result) : outcome.result ? JSON.stringify(outcome.result) : null,
        outcome.status === 'failed' ? JSON.stringify(outcome.error) : null,
      ],
    );
    await this.markProcessed(manager, commandId, id);
  }

  /** Records a command id as handled without touching its operation (a malformed or stale command). */
  async markProcessed(manager: EntityManager, commandId: string, operationId: string): Promise<void> {
    await manager.query(
      `INSERT INTO processed_commands (command_id, operation_id) VALUES ($1, $2) ON CONFLICT (command_id) DO NOTHING`,
      [commandId, operationId],
    );
  }

  /**
   * A failed operation back to queued, with `alsoInTransaction` (the re-published command) in the same
   * transaction. Null when the operation is not in this workspace or has not failed.
   */
  async requeueFailed(workspaceId: string, id: string, alsoInTransaction: TransactionStep): Promise<OperationEntity | null> {
    return this.dataSource.transaction(async (manager) => {
      const [rows]: [Array<{ id: string }>, number] = await manager.query(
        `UPDATE operations SET status = 'queued', error = NULL, result = NULL, finished_at = NULL, updated_at = now()
         WHERE id = $1 AND workspace_id = $2 AND status = 'failed' RETURNING id`,
        [id, workspaceId],
      );
      if (rows.length === 0) return null;
      const operation = await manager.getRepository(OperationEntity).findOneByOrFail({ id });
      await alsoInTransaction(manager, operation);
      return operation;
    });
  }

  /** Counts by status for one account (tests, CLI summaries). */
  async countByStatus(accountId: string): Promise<Record<OperationStatus, number>> {
    const rows: Array<{ status: OperationStatus; n: string }> = await this.dataSource.query(
      `SELECT status, count(*) AS n FROM operations WHERE account_id = $1 GROUP BY status`,
      [accountId],
    );
    const counts: Record<OperationStatus, number> = { queued: 0, running: 0, succeeded: 0, failed: 0 };
    for (const row of rows) counts[row.status] = Number(row.n);
    return counts;
  }
}
