import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { OperationEntity, OperationStatus } from '../entities/operations.entities';
import type { OutboxMessage } from '../outbox/outbox.repository';
import { outboxInsertParameters } from '../outbox/outbox-insert';
import { AttemptClaim, ClaimInput, claimOf, OperationLease } from './operation-claim';
import { MirrorUserWrite, unmatchedUserInsertParameters, UserMirrorKeys } from './operation-mirror.repository';
import {
  CLAIM_ATTEMPTS,
  FINISH_CREATED_USER,
  FINISH_WITH_EVENTS,
  OPERATION_COLUMNS,
  RECORD_WITH_COMMAND,
  RELEASE_LEASE,
  RENEW_LEASE,
  UNFINISHED_PREDECESSORS,
} from './operation-write-path.statements';

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
  /** Who asked (operations.actor): `{type: 'api_key', id}`, `{type: 'admin'}`, `{type: 'roster', roster_run_id}`, `{type: 'automation', …}`. */
  actor?: Record<string, unknown> | null;
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

type TransactionStep = (manager: EntityManager, operation: OperationEntity) => Promise<void>;

/** How the reconciler re-publishes stalled operations; see OperationRepository.republishStalled. */
export interface StalledScan {
  /** Queued or running with no progress (updated_at) for this long. */
  stallSeconds: number;
  /** Ceiling of the per-operation backoff between re-publications (stallSeconds doubling per re-publication). */
  maxBackoffSeconds: number;
  limit: number;
  /** Topic of the commands: an operation whose command still waits in the outbox is not stalled, only queued behind. */
  commandTopic: string;
}

// One reconciler per database at a time, held for the duration of one scan's transaction.
const RECONCILER_LOCK = "hashtext('kb4_operation_reconciler')";

// Re-publishable now: unfinished, no progress within the bound, past its backoff, no provisioner holding a live lease,
// command not still in the outbox.
const STALLED_CONDITION = `o.status IN ('queued', 'running')
     AND o.updated_at < now() - make_interval(secs => $1)
     AND (o.republish_after IS NULL OR o.republish_after <= now())
     AND (o.lease_expires_at IS NULL OR o.lease_expires_at <= now())
     AND EXISTS (SELECT 1 FROM integrated_accounts a WHERE a.id = o.account_id)
     AND NOT EXISTS (
       SELECT 1 FROM outbox_events e
        WHERE e.published_at IS NULL AND e.topic = $2 AND e.payload->>'subject' = 'operations/' || o.id::text)`;

/** The outcome was not written: the attempt's lease had expired and another delivery claimed the operation. */
export class LeaseLostError extends Error {
  constructor(readonly operationId: string) {
    super(`the lease on operation ${operationId} was lost before its outcome was written; the delivery that holds it now writes it`);
    this.name = 'LeaseLostError';
  }
}

/** Provisioning operations: what the gateway accepted, and how the provisioner left it. */
export class OperationRepository {
  private readonly operations: Repository<OperationEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.operations = dataSource.getRepository(OperationEntity);
  }

  /**
   * The gateway's accept path in one statement (one round trip, atomic): inserts the queued operation and its
   * command's outbox row. An idempotency key already used in this workspace and account returns that earlier
   * operation untouched (and enqueues nothing). No NOTIFY: it would wake every relay of every process per
   * command; the caller nudges its own relay, and a relay in another replica finds the row at its next poll.
   */
  async recordWithCommand(input: NewOperation, command: (operation: { id: string; accountId: string }) => OutboxMessage): Promise<RecordedOperation> {
    const message = command({ id: input.id, accountId: input.accountId });
    const inserted = await RECORD_WITH_COMMAND.run(this.dataSource, [
      input.id,
      input.workspaceId,
      input.accountId,
      input.kind,
      input.targetKey,
      JSON.stringify(input.request),
      input.idempotencyKey ?? null,
      input.requestHash ?? null,
      input.actor ? JSON.stringify(input.actor) : null,
      ...outboxInsertParameters([message]),
    ]);
    if (inserted.length === 0) {
      const existing = await this.operations.findOneByOrFail({
        workspaceId: input.workspaceId,
        accountId: input.accountId,
        idempotencyKey: input.idempotencyKey ?? '',
      });
      return { operation: existing, replayed: true };
    }
    const { enqueued: _enqueued, ...columns } = inserted[0];
    return { operation: Object.assign(new OperationEntity(), columns), replayed: false };
  }

  /** The operation an Idempotency-Key already made in this workspace and account, if any (a replay). */
  findByIdempotencyKey(workspaceId: string, accountId: string, idempotencyKey: string): Promise<OperationEntity | null> {
    return this.operations.findOneBy({ workspaceId, accountId, idempotencyKey });
  }

  /** Scoped to the workspace: another workspace's operation is simply not found. */
  findInWorkspace(workspaceId: string, id: string): Promise<OperationEntity | null> {
    return this.operations.findOneBy({ workspaceId, id });
  }

  /**
   * Unfinished operations of the same user or group accepted before this one, oldest first: commands of one target
   * apply in the order accepted, so a newer command waits for (applies first) any older one that was lost or delayed.
   */
  async unfinishedPredecessors(operationId: string, limit = 50): Promise<OperationEntity[]> {
    const rows = await UNFINISHED_PREDECESSORS.run(this.dataSource, [operationId, limit]);
    return rows.map((columns) => Object.assign(new OperationEntity(), columns));
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

  /**
   * Claims one attempt of a command in one short autocommit statement: checks the command was not processed, that no
   * other delivery holds a live lease (and, when asked, that no older operation of the target is unfinished), counts
   * the attempt, marks the operation running and takes a lease; returns the account to write to. No connection or row
   * lock is held afterwards: the SCIM call runs outside any transaction, and the outcome is written only while the
   * lease holds (finishWithEvents, finishCreatedUser). A second delivery of the same command (a rebalance, a
   * redelivery after a kill) finds the lease held (`busy`) until the holder finishes or its lease expires.
   */
  async claimAttempt(input: ClaimInput): Promise<AttemptClaim> {
    const [claim] = await this.claimAttempts([input]);
    return claim;
  }

  /**
   * claimAttempt for many commands in one statement (one round trip), each answered as claimAttempt would, in input
   * order. Two inputs of one operation: one may claim it, the other finds it `busy`.
   */
  async claimAttempts(inputs: readonly ClaimInput[]): Promise<AttemptClaim[]> {
    if (inputs.length === 0) return [];
    const tokens = inputs.map(() => randomUUID());
    const rows = await CLAIM_ATTEMPTS.run(this.dataSource, [
      inputs.map((input) => input.operationId),
      inputs.map((input) => input.commandId),
      inputs.map((input) => input.accountId),
      tokens,
      inputs.map((input) => input.leaseSeconds),
      inputs.map((input) => input.checkPredecessors),
    ]);
    return inputs.map((input, index) => claimOf(input, tokens[index], rows[index]));
  }

  /** Extends a held lease; false when it was lost (expired and claimed by another delivery). */
  async renewLease(lease: OperationLease, leaseSeconds: number): Promise<boolean> {
    return (await RENEW_LEASE.run(this.dataSource, [lease.operationId, lease.token, leaseSeconds])).length > 0;
  }

  /** Gives a held lease up, so the next delivery of the command need not wait for it to expire. */
  async releaseLease(lease: OperationLease): Promise<void> {
    await RELEASE_LEASE.run(this.dataSource, [lease.operationId, lease.token]);
  }

  /**
   * Final status, the processed-command mark and the outcome's outbox events in one statement, inside the
   * caller's transaction, only while `lease` holds — otherwise LeaseLostError (the caller's transaction must roll
   * back). Like recordWithCommand it sends no NOTIFY; the caller nudges its relay after commit.
   */
  async finishWithEvents(manager: EntityManager, lease: OperationLease, commandId: string, outcome: OperationOutcome, events: readonly OutboxMessage[]): Promise<void> {
    const [row] = await FINISH_WITH_EVENTS.run(manager, [
      lease.operationId,
      outcome.status,
      outcome.status === 'succeeded' ? JSON.stringify(outcome.result) : outcome.result ? JSON.stringify(outcome.result) : null,
      outcome.status === 'failed' ? JSON.stringify(outcome.error) : null,
      commandId,
      lease.token,
      ...outboxInsertParameters(events),
    ]);
    if (Number(row?.finished ?? 0) === 0) throw new LeaseLostError(lease.operationId);
  }

  /**
   * A successful user create in one statement: the user's mirror row (only when no row matches it yet), and —
   * only if it was inserted — the final status, processed mark and outbox events as finishWithEvents writes them, and
   * the operation's audit entries (`auditEntries`: auditEntriesParameter of its drafts) as appendForOperation would.
   * False when a mirror row already matched: nothing was written, the caller merges into that row and finishes.
   * LeaseLostError when `lease` no longer holds.
   */
  async finishCreatedUser(
    manager: EntityManager,
    input: {
      lease: OperationLease;
      commandId: string;
      result: Record<string, unknown>;
      events: readonly OutboxMessage[];
      accountId: string;
      keys: UserMirrorKeys;
      write: MirrorUserWrite;
      auditEntries?: string | null;
    },
  ): Promise<boolean> {
    const [row] = await FINISH_CREATED_USER.run(manager, [
      ...unmatchedUserInsertParameters(input.accountId, input.keys, input.write),
      JSON.stringify(input.result),
      input.lease.operationId,
      input.commandId,
      input.lease.token,
      ...outboxInsertParameters(input.events),
      input.auditEntries ?? null,
    ]);
    if (Number(row?.leased ?? 0) === 0) throw new LeaseLostError(input.lease.operationId);
    return Number(row.mirrored) > 0;
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
        `UPDATE operations SET status = 'queued', error = NULL, result = NULL, finished_at = NULL, updated_at = now(),
                republish_count = 0, republish_after = NULL
         WHERE id = $1 AND workspace_id = $2 AND status = 'failed' RETURNING id`,
        [id, workspaceId],
      );
      if (rows.length === 0) return null;
      const operation = await manager.getRepository(OperationEntity).findOneByOrFail({ id });
      await alsoInTransaction(manager, operation);
      return operation;
    });
  }

  /**
   * The reconciler's scan: operations queued or running with no progress for `stallSeconds` (their command was
   * lost with a broker, a trimmed topic or a crashed relay) get `alsoInTransaction` (the re-published command) and
   * a per-operation backoff of stallSeconds × 2^republications (capped), so a long but healthy queue gets few
   * duplicates. Operations a provisioner holds a live lease on are skipped. Null when another reconciler is scanning this database.
   */
  async republishStalled(scan: StalledScan, alsoInTransaction: (manager: EntityManager, operations: OperationEntity[]) => Promise<void>): Promise<OperationEntity[] | null> {
    return this.dataSource.transaction(async (manager) => {
      const [lock]: Array<{ held: boolean }> = await manager.query(`SELECT pg_try_advisory_xact_lock(${RECONCILER_LOCK}) AS held`);
      if (!lock.held) return null;
      const rows: Array<{ id: string }> = await manager.query(
        // oldest first: re-published commands of one user or group enter the outbox (and Kafka) in the order accepted
        `SELECT o.id FROM operations o WHERE ${STALLED_CONDITION} ORDER BY o.created_at, o.id LIMIT $3 FOR UPDATE OF o SKIP LOCKED`,
        [scan.stallSeconds, scan.commandTopic, scan.limit],
      );
      if (rows.length === 0) return [];
      const [updated]: [OperationEntity[], number] = await manager.query(
        `UPDATE operations SET republish_count = republish_count + 1,
                republish_after = now() + make_interval(secs => LEAST($2::float8, $3::float8 * power(2, republish_count)))
          WHERE id = ANY($1::uuid[]) RETURNING ${OPERATION_COLUMNS}`,
        [rows.map((row) => row.id), scan.maxBackoffSeconds, scan.stallSeconds],
      );
      // RETURNING does not keep the scan's order
      const order = new Map(rows.map((row, index) => [row.id, index]));
      const operations = updated.map((columns) => Object.assign(new OperationEntity(), columns)).sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
      await alsoInTransaction(manager, operations);
      return operations;
    });
  }

  /**
   * A retry of one stuck operation (queued or running, no progress for `stallSeconds`, not re-published within
   * its backoff): counts the re-publication and runs `alsoInTransaction` (the command) in the same transaction.
   * Null when it is not in this workspace or not stuck.
   */
  async republishStuck(
    workspaceId: string,
    id: string,
    scan: Pick<StalledScan, 'stallSeconds' | 'commandTopic'>,
    alsoInTransaction: TransactionStep,
  ): Promise<OperationEntity | null> {
    return this.dataSource.transaction(async (manager) => {
      const [updated]: [OperationEntity[], number] = await manager.query(
        `UPDATE operations SET republish_count = republish_count + 1, republish_after = now() + make_interval(secs => $1)
          WHERE id = (SELECT o.id FROM operations o WHERE o.id = $3 AND o.workspace_id = $4 AND ${STALLED_CONDITION} FOR UPDATE OF o SKIP LOCKED)
          RETURNING ${OPERATION_COLUMNS}`,
        [scan.stallSeconds, scan.commandTopic, id, workspaceId],
      );
      if (updated.length === 0) return null;
      const operation = Object.assign(new OperationEntity(), updated[0]);
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
