import {
  CommandType,
  deterministicEventId,
  fromKafkaMessage,
  IncomingKafkaMessage,
  InvalidCloudEventMessageError,
  ProvisioningCommandBase,
  validateEventData,
  type CloudEventEnvelope,
} from '@kb4/contracts';
import { backoffDelayMs } from '@kb4/knowbe4';
import {
  AttemptClaim,
  auditEntriesParameter,
  AuditLogRepository,
  inSavepoint,
  LeaseLostError,
  OperationLease,
  OperationMirrorRepository,
  OperationRepository,
  OutboxMessage,
  OutboxRepository,
  republishedCommand,
} from '@kb4/persistence';
import type { Logger } from 'pino';
import { DataSource, EntityManager } from 'typeorm';
import { OutcomeWrite, OutcomeWriter } from '../outcomes/outcome-writer';
import { deadLetterEvent, failedEvent, succeededEvent, type CommandCoordinates, type ResultBase } from '../outcomes/outcome-events';
import { operationAuditDrafts } from '../audit/operation-audit';
import { freshUserMirror, MirroredRecord, refreshMirror } from '../mirror/mirror-refresh';
import { ScimClientPool } from '../scim/scim-client-pool';
import { PartialUserCreateError, ScimWriter, ScimWriteResult } from '../scim/scim-writer';
import { AttemptClaimer } from './attempt-claimer';
import { describeFailure, isDeadLettered, OperationFailure } from './failure';
import { COMMAND_TYPE_VALUES, keyText, NIL_UUID, processedKeyOf, UUID } from './command-identity';
import { busyPollMs, DEFAULT_LEASE_SECONDS, LeaseKeeper, releaseLeaseQuietly } from './lease-keeper';
import { abortableSleep, ShutdownInterruption } from './shutdown';

export { ShutdownInterruption } from './shutdown';

export type CommandDisposition =
  | 'succeeded'
  | 'failed'
  | 'malformed'
  | 'duplicate'
  | 'already_finished'
  | 'unknown_operation';

export interface RetryBudget {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  random?: () => number;
}

export interface CommandProcessorDeps {
  dataSource: DataSource;
  operations: OperationRepository;
  mirror: OperationMirrorRepository;
  outbox: OutboxRepository;
  /** The audit log: each succeeded write's changes are appended with its outcome. */
  audit?: AuditLogRepository;
  writer: ScimWriter;
  clients: ScimClientPool;
  budget: RetryBudget;
  /** Lease length of a claimed attempt; a killed holder's command waits at most this long for another delivery. */
  leaseSeconds?: number;
  logger: Logger;
  /** Called after a transaction wrote outbox rows (wakes the relay). */
  onOutboxWritten?: () => void;
  onAttempt?: (commandType: string, outcome: 'succeeded' | 'retry' | 'failed') => void;
}

export interface CommandMessage extends IncomingKafkaMessage {
  topic: string;
  partition: number;
  offset: string;
}

type AttemptStep =
  | Exclude<AttemptClaim, { kind: 'claimed' }>
  | { kind: 'claimed'; disposition: CommandDisposition; retryAfterMs?: number }
  /** The attempt's lease expired before its outcome was written; the delivery now holding it writes it. */
  | { kind: 'lease_lost' };

/**
 * Applies one command message end to end: validate (malformed → DLQ at once), skip redeliveries of processed
 * commands, run bounded attempts with backoff against SCIM, then record the outcome — operation row, processed
 * command, mirror refresh, result event and (on failure) DLQ event — in one transaction.
 */
export class CommandProcessor {
  private readonly outcomes: OutcomeWriter;
  private readonly claims: AttemptClaimer;

  constructor(private readonly deps: CommandProcessorDeps) {
    this.outcomes = new OutcomeWriter(deps.dataSource);
    this.claims = new AttemptClaimer(deps.operations);
  }

  /** `signal` interrupts a backoff between attempts; `abortCalls` cuts off the SCIM call in flight (shutdown grace over). */
  async handle(message: CommandMessage, signal: AbortSignal, abortCalls?: AbortSignal): Promise<CommandDisposition> {
    const at = { key: keyText(message.key) || 'unkeyed', topic: message.topic, partition: message.partition, offset: message.offset };
    let event: CloudEventEnvelope<unknown>;
    try {
      event = fromKafkaMessage(message).event;
    } catch (error) {
      if (!(error instanceof InvalidCloudEventMessageError)) throw error;
      const raw = message.value === null ? null : message.value.toString();
      // no event id to key it by: the message's own coordinates (a hash, so only for the rare unreadable message)
      const commandId = deterministicEventId(['message', message.topic, String(message.partition), message.offset]);
      return this.deadLetterMalformed({ raw }, null, { ...at, commandId }, error.message);
    }
    const coordinates: CommandCoordinates = { ...at, commandId: processedKeyOf(event.id) };
    if (!COMMAND_TYPE_VALUES.includes(event.type)) {
      return this.deadLetterMalformed(event, event.data, coordinates, `unknown command type ${event.type}`);
    }
    const validation = validateEventData(event);
    if (!validation.ok) {
      const problems = validation.errors.map((e) => `${e.path || '(root)'}: ${Object.values(e.constraints).join(', ')}`).join('; ');
      return this.deadLetterMalformed(event, event.data, coordinates, `invalid command: ${problems}`);
    }
    const command = validation.value as ProvisioningCommandBase;
    return this.apply(event.type as CommandType, event, command, coordinates, signal, abortCalls, true);
  }

  /**
   * Commands of one user or group apply in the order they were accepted. An older operation of the same target still
   * unfinished when a newer command arrives had its command lost or delayed (a broker that lost it, a trimmed topic):
   * it is applied here first, from its stored command, so that it never lands later on top of the newer write. Its
   * own delivery, whenever it comes, then finds it finished. The claim says when there are any (no extra round trip
   * per command).
   */
  private async applyUnfinishedPredecessors(operationId: string, coordinates: CommandCoordinates, signal: AbortSignal, abortCalls?: AbortSignal): Promise<void> {
    const predecessors = await this.deps.operations.unfinishedPredecessors(operationId);
    for (const operation of predecessors) {
      const { event } = republishedCommand(operation);
      const validation = COMMAND_TYPE_VALUES.includes(event.type) ? validateEventData(event) : { ok: false as const };
      if (!validation.ok) continue; // its own delivery dead-letters it
      this.deps.logger.info(
        { operation_id: operation.id, before_operation_id: operationId },
        'applying an older unfinished operation of the same target first (its command was lost or delayed)',
      );
      await this.apply(event.type as CommandType, event, validation.value as ProvisioningCommandBase, { ...coordinates, commandId: processedKeyOf(event.id) }, signal, abortCalls, false);
    }
  }

  /**
   * Bounded attempts with backoff between them, until the command succeeded, failed for good, or needs nothing. A
   * delivery that finds another one holding the operation waits for it (its outcome, or its lease to expire).
   */
  private async apply(
    type: CommandType,
    event: CloudEventEnvelope<unknown>,
    command: ProvisioningCommandBase,
    coordinates: CommandCoordinates,
    signal: AbortSignal,
    abortCalls: AbortSignal | undefined,
    checkPredecessors: boolean,
  ): Promise<CommandDisposition> {
    let attemptHere = 1;
    for (;;) {
      if (signal.aborted) throw new ShutdownInterruption();
      const step = await this.attempt(type, event, command, coordinates, attemptHere, abortCalls, checkPredecessors && UUID.test(command.operation_id));
      switch (step.kind) {
        case 'claimed':
          if (step.retryAfterMs === undefined) return step.disposition;
          await abortableSleep(step.retryAfterMs, signal);
          attemptHere += 1;
          continue;
        case 'busy':
          await abortableSleep(busyPollMs(step.retryAfterMs), signal);
          continue;
        case 'lease_lost':
          // the holder now is another delivery of this command: wait for its outcome like any busy claim
          continue;
        case 'predecessors':
          await this.applyUnfinishedPredecessors(command.operation_id, coordinates, signal, abortCalls);
          // applied (or left to their own deliveries when they cannot be): this one goes ahead now
          checkPredecessors = false;
          continue;
        case 'duplicate':
          return 'duplicate';
        case 'unknown_operation':
          // Its operation row is not in this database: nothing here can record an outcome for it.
          this.deps.logger.warn({ operation_id: command.operation_id, command_id: event.id }, 'command for an unknown operation skipped');
          return 'unknown_operation';
        case 'account_mismatch':
          return this.deadLetterMalformed(event, event.data, coordinates, 'integrated_account_id does not match the operation');
        case 'finished':
          await this.deps.dataSource.transaction((manager) => this.deps.operations.markProcessed(manager, coordinates.commandId, step.operationId));
          return 'already_finished';
      }
    }
  }

  /**
   * One attempt: claim the operation with a lease (one short statement shared with the claims of concurrent commands,
   * no transaction left open), the SCIM write outside any transaction, then on success or final failure the outcome in
   * one transaction (writeOutcome), refused if the lease was lost meanwhile. A retryable failure gives the lease up;
   * the caller backs off and claims again.
   */
  private async attempt(
    type: CommandType,
    event: CloudEventEnvelope<unknown>,
    command: ProvisioningCommandBase,
    coordinates: CommandCoordinates,
    attemptHere: number,
    abortCalls: AbortSignal | undefined,
    checkPredecessors: boolean,
  ): Promise<AttemptStep> {
    const leaseSeconds = this.deps.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
    const claim = await this.claims.claim({
      operationId: command.operation_id,
      commandId: coordinates.commandId,
      accountId: command.integrated_account_id,
      leaseSeconds,
      checkPredecessors,
    });
    if (claim.kind !== 'claimed') return claim;
    const { account, attempts, lease } = claim;
    const base = { operationId: claim.operation.id, accountId: account.id, commandType: type, key: coordinates.key, commandId: coordinates.commandId, attempt: attempts };
    const keeper = new LeaseKeeper(lease, leaseSeconds, this.deps.operations, this.deps.logger);
    let result: ScimWriteResult;
    try {
      const client = this.deps.clients.clientFor(account);
      result = await this.deps.writer.apply(type, command, { client, accountId: account.id, requestId: claim.operation.id, signal: abortCalls });
    } catch (error) {
      await keeper.stop();
      // Cut off by shutdown: nothing recorded, the lease given up; the next delivery redoes the command.
      if (abortCalls?.aborted) {
        await releaseLeaseQuietly(this.deps.operations, lease, this.deps.logger);
        throw new ShutdownInterruption();
      }
      const failure = describeFailure(error);
      const retry = failure.retryable && attemptHere < this.deps.budget.maxAttempts;
      this.deps.onAttempt?.(type, retry ? 'retry' : 'failed');
      this.deps.logger[retry ? 'info' : 'warn'](
        { operation_id: claim.operation.id, attempt: attempts, code: failure.code, status: failure.status, retry },
        `command attempt failed: ${failure.message}`,
      );
      if (retry) {
        await releaseLeaseQuietly(this.deps.operations, lease, this.deps.logger);
        const { baseDelayMs, maxDelayMs, random = Math.random } = this.deps.budget;
        return { kind: 'claimed', disposition: 'failed', retryAfterMs: backoffDelayMs({ baseDelayMs, maxDelayMs, random }, attemptHere) };
      }
      return this.writeOutcome(lease, 'failed', async (manager) => {
        // the user of a create whose groups failed was written: the mirror learns it even though the operation fails
        if (error instanceof PartialUserCreateError) await this.refreshMirrorSafely(manager, account.id, error.partial, claim.operation.id);
        await this.recordFailure(manager, lease, base, event, failure, coordinates);
      });
    }
    await keeper.stop();
    this.deps.onAttempt?.(type, 'succeeded');
    return this.writeOutcome(lease, 'succeeded', (manager) => this.recordSuccess(manager, lease, base, result));
  }

  /**
   * The one transaction in which an attempt's outcome is written — operation row, processed mark, mirror refresh,
   * audit, outbox events — and only while its lease holds (the finishing statement checks the token; LeaseLostError
   * rolls everything of this outcome back). Outcomes of concurrent commands share transactions (OutcomeWriter).
   */
  private async writeOutcome(lease: OperationLease, disposition: CommandDisposition, write: OutcomeWrite): Promise<AttemptStep> {
    try {
      await this.outcomes.write(write);
    } catch (error) {
      if (!(error instanceof LeaseLostError)) throw error;
      this.deps.logger.warn({ operation_id: lease.operationId }, 'outcome not written: the lease expired and another delivery holds the operation');
      return { kind: 'lease_lost' };
    }
    this.deps.onOutboxWritten?.();
    return { kind: 'claimed', disposition };
  }

  private async recordSuccess(manager: EntityManager, lease: OperationLease, attemptBase: Omit<ResultBase, 'completedAt'>, result: ScimWriteResult): Promise<void> {
    const base: ResultBase = { ...attemptBase, completedAt: new Date() };
    const scimId = result.user?.id ?? result.group?.id ?? result.deleted?.scimId ?? null;
    const summary: Record<string, unknown> = {
      action: result.action,
      scim_id: scimId,
      request_id: base.operationId,
      ...(result.user ? { user_name: result.user.userName, active: result.user.active !== false } : {}),
      ...(result.group ? { display_name: result.group.displayName } : {}),
      ...(result.membership
        ? { group_scim_id: result.membership.groupScimId, user_scim_ids: result.membership.userScimIds, member: result.membership.member }
        : {}),
      ...(result.joined ? { groups: result.joined.map((group) => ({ id: group.id, scim_id: group.scimId, name: group.name })) } : {}),
      ...(result.deleted ? { already_absent: result.deleted.alreadyAbsent } : {}),
    };
    const outcomeOf = (mirrored: MirroredRecord | null): { result: Record<string, unknown>; events: OutboxMessage[] } => ({
      result: { scim: summary, remote_id: mirrored?.remoteId ?? null, scim_id: scimId, record: mirrored?.record ?? null },
      events: [succeededEvent(base, { remoteId: mirrored?.remoteId ?? null, scimId, resource: mirrored?.record ?? undefined })],
    });
    // A created user usually has no mirror row yet: mirror row, outcome and audit entries in one statement (no
    // savepoint needed; should it fail, the outcome rolls back and the redelivered command adopts the created user).
    const fresh = freshUserMirror(result, base.completedAt);
    if (fresh) {
      const outcome = outcomeOf(fresh.mirrored);
      const finished = await this.deps.operations.finishCreatedUser(manager, {
        lease,
        commandId: base.commandId,
        result: outcome.result,
        events: outcome.events,
        accountId: base.accountId,
        keys: fresh.keys,
        write: fresh.write,
        auditEntries: this.deps.audit
          ? auditEntriesParameter(base.accountId, operationAuditDrafts(base.operationId, result, { ...fresh.mirrored, before: null }), base.completedAt)
          : null,
      });
      if (finished) return;
    }
    const mirrored = await this.refreshMirrorSafely(manager, base.accountId, result, base.operationId);
    await this.recordAudit(manager, base, result, mirrored);
    const outcome = outcomeOf(mirrored);
    await this.deps.operations.finishWithEvents(manager, lease, base.commandId, { status: 'succeeded', result: outcome.result }, outcome.events);
  }

  /** The audit entries of the write, in the outcome's transaction: they exist exactly when the outcome does. */
  private async recordAudit(manager: EntityManager, base: ResultBase, result: ScimWriteResult, mirrored: MirroredRecord | null): Promise<void> {
    if (!this.deps.audit) return;
    const transition = mirrored ? { remoteId: mirrored.remoteId, before: mirrored.before ?? null, record: mirrored.record } : null;
    await this.deps.audit.appendForOperation(manager, base.accountId, base.operationId, operationAuditDrafts(base.operationId, result, transition), base.completedAt);
  }

  // The SCIM write already happened: a mirror problem must not turn it into a failure (the next sync repairs it).
  private async refreshMirrorSafely(
    manager: EntityManager,
    accountId: string,
    result: ScimWriteResult,
    operationId: string,
  ): Promise<MirroredRecord | null> {
    const refreshed = await inSavepoint(manager, 'mirror_refresh', () => refreshMirror(manager, this.deps.mirror, accountId, result, new Date()));
    if (refreshed.ok) return refreshed.value;
    this.deps.logger.warn({ err: refreshed.error, operation_id: operationId }, 'mirror refresh after a SCIM write failed; the next sync repairs it');
    return null;
  }

  private async recordFailure(
    manager: EntityManager,
    lease: OperationLease,
    base: Omit<ResultBase, 'completedAt'>,
    command: CloudEventEnvelope<unknown>,
    failure: OperationFailure,
    coordinates: CommandCoordinates,
  ): Promise<void> {
    const at = new Date();
    await this.deps.operations.finishWithEvents(manager, lease, base.commandId, { status: 'failed', error: { ...failure, attempts: base.attempt } }, [
      failedEvent({ ...base, completedAt: at }, failure),
      ...(isDeadLettered(failure)
        ? [deadLetterEvent({ command, accountId: base.accountId, operationId: base.operationId, error: failure, attempts: base.attempt, at, coordinates })]
        : []),
    ]);
  }

  /** Malformed commands are never retried: DLQ at once, and the operation (when it can be found) fails. */
  private async deadLetterMalformed(
    command: CloudEventEnvelope<unknown> | Record<string, unknown>,
    data: unknown,
    coordinates: CommandCoordinates,
    reason: string,
  ): Promise<CommandDisposition> {
    const claimed = data && typeof data === 'object' ? (data as Record<string, unknown>) : {};
    const operationId = typeof claimed.operation_id === 'string' && UUID.test(claimed.operation_id) ? claimed.operation_id : null;
    const operation = operationId ? await this.deps.operations.findById(operationId) : null;
    const failure: OperationFailure = { code: 'malformed_command', message: reason, retryable: false, truto_error_insight: 'validation_error' };
    const at = new Date();
    this.deps.logger.warn({ ...coordinates, operation_id: operationId }, `malformed command dead-lettered: ${reason}`);
    await this.deps.dataSource.transaction(async (manager) => {
      const messages: OutboxMessage[] = [
        deadLetterEvent({ command, accountId: operation?.accountId ?? null, operationId, error: failure, attempts: 1, at, coordinates }),
      ];
      if (operation && operation.status !== 'succeeded' && operation.status !== 'failed') {
        await this.deps.operations.finish(manager, operation.id, coordinates.commandId, { status: 'failed', error: { ...failure, attempts: 1 } });
        const commandType = COMMAND_TYPE_VALUES.includes(String((command as { type?: unknown }).type))
          ? ((command as { type: CommandType }).type)
          : null;
        if (commandType) {
          messages.push(
            failedEvent(
              { operationId: operation.id, accountId: operation.accountId, commandType, attempt: 1, completedAt: at, key: coordinates.key, commandId: coordinates.commandId },
              failure,
            ),
          );
        }
      } else {
        await this.deps.operations.markProcessed(manager, coordinates.commandId, operation?.id ?? NIL_UUID);
      }
      await this.deps.outbox.enqueue(manager, messages);
    });
    this.deps.onOutboxWritten?.();
    return 'malformed';
  }
}
