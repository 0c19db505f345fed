import { Inject, Injectable } from '@nestjs/common';
import type { UnifiedUserWrite } from '@kb4/contracts';
import { primaryEmailOf } from '@kb4/mapping';
import { OperationEntity, OperationMirrorRepository, OperationRepository, OutboxRepository, recordWriteIntent } from '@kb4/persistence';
import { ApiError } from '@kb4/platform';
import type { EntityManager } from 'typeorm';
import { GatewayConfig } from '../config/gateway.config';
import { AccountScope } from '../accounts/account-scope';
import { currentRequestActor } from '../auth/request-actor';
import { CommandRelay } from './command-relay';
import { republishedCommand, republishedOperations, stalledScanOf } from './operation-reconciler';
import { decodeOperationCursor, encodeOperationCursor, isFinished, operationView, OperationView } from './operation-view';
import { OperationWaiter } from './operation-waiter';
import {
  addMembersIntent,
  archiveUserIntent,
  createGroupIntent,
  createUserIntent,
  deleteGroupIntent,
  GroupTarget,
  removeMemberIntent,
  requestHashOf,
  updateGroupIntent,
  updateUserIntent,
  WriteIntent,
} from './write-intents';
import type { ListOperationsQuery } from './write-requests.dto';

export interface Accepted {
  operation: OperationView;
  /** True when an Idempotency-Key replay returned an earlier operation. */
  replayed: boolean;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

function notFound(what: string): ApiError {
  return new ApiError(404, `${what} not found`);
}

/** Refuses what KnowBe4 SCIM cannot store, rather than dropping it silently. */
function assertStorable(user: UnifiedUserWrite): void {
  if (user.emails?.some((email) => email.type === 'alias')) {
    throw new ApiError(400, 'email aliases cannot be written: KnowBe4 SCIM strips them; send the primary email only');
  }
  if (user.phones?.some((phone) => phone.extension !== null && phone.extension !== undefined && phone.extension !== '')) {
    throw new ApiError(400, 'phone extensions cannot be written: KnowBe4 SCIM has no attribute for them');
  }
}

/**
 * The write side of the unified API: every write becomes an operation row plus a command in the outbox, in
 * one transaction, published to Kafka by the CommandRelay and applied by the provisioner.
 */
@Injectable()
export class ProvisioningService {
  constructor(
    @Inject(AccountScope) private readonly scope: AccountScope,
    @Inject(OperationRepository) private readonly operations: OperationRepository,
    @Inject(OperationMirrorRepository) private readonly mirror: OperationMirrorRepository,
    @Inject(OutboxRepository) private readonly outbox: OutboxRepository,
    @Inject(CommandRelay) private readonly relay: CommandRelay,
    @Inject(OperationWaiter) private readonly waiter: OperationWaiter,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  /** A user create; with `groups`, the user and its memberships are one command and one operation. */
  async createUser(
    workspaceId: string,
    accountId: string,
    body: UnifiedUserWrite & { groups?: Array<{ id: string }> },
    path: string,
    idempotencyKey?: string,
  ): Promise<Accepted> {
    const account = { id: await this.scope.assertAccount(workspaceId, accountId) };
    const { groups, ...user } = body;
    assertStorable(user);
    if (!primaryEmailOf(user)) throw new ApiError(400, 'a user needs username (the primary email) or a primary entry in emails');
    const joined = groups === undefined ? undefined : await this.joinableGroups(account.id, groups);
    return this.accept(workspaceId, account.id, createUserIntent(account.id, user, path, joined), idempotencyKey);
  }

  async updateUser(workspaceId: string, accountId: string, id: string, changes: UnifiedUserWrite, path: string, idempotencyKey?: string): Promise<Accepted> {
    const account = { id: await this.scope.assertAccount(workspaceId, accountId) };
    assertStorable(changes);
    if (Object.keys(changes).length === 0) throw new ApiError(400, 'nothing to change: send at least one writable field');
    if (changes.username === null || (changes.emails !== undefined && !primaryEmailOf(changes))) {
      throw new ApiError(400, 'the primary email (username) cannot be cleared');
    }
    const target = await this.userTarget(account.id, id);
    return this.accept(workspaceId, account.id, updateUserIntent(account.id, target, changes, path), idempotencyKey);
  }

  async archiveUser(workspaceId: string, accountId: string, id: string, path: string, idempotencyKey?: string): Promise<Accepted> {
    const account = { id: await this.scope.assertAccount(workspaceId, accountId) };
    const target = await this.userTarget(account.id, id);
    return this.accept(workspaceId, account.id, archiveUserIntent(account.id, target, path), idempotencyKey);
  }

  async createGroup(workspaceId: string, accountId: string, group: { name: string; external_id?: string | null }, path: string, idempotencyKey?: string): Promise<Accepted> {
    const account = { id: await this.scope.assertAccount(workspaceId, accountId) };
    return this.accept(workspaceId, account.id, createGroupIntent(account.id, group, path), idempotencyKey);
  }

  /** A rename; KnowBe4 groups have no description, so one is refused rather than dropped. */
  async updateGroup(
    workspaceId: string,
    accountId: string,
    id: string,
    changes: { name?: string; description?: string | null },
    path: string,
    idempotencyKey?: string,
  ): Promise<Accepted> {
    const account = { id: await this.scope.assertAccount(workspaceId, accountId) };
    if (changes.description !== undefined && changes.description !== null && changes.description !== '') {
      throw new ApiError(400, 'description cannot be written: KnowBe4 groups have no description (neither SCIM nor the Reporting API stores one)');
    }
    if (changes.name === undefined) throw new ApiError(400, 'nothing to change: send name (the only writable field of a KnowBe4 group)');
    const group = await this.writableGroup(account.id, id);
    const namesake = await this.mirror.findGroupByName(account.id, changes.name);
    if (namesake && namesake.seq !== group.seq) {
      throw new ApiError(409, `name: a group named ${JSON.stringify(namesake.name)} already exists (KnowBe4 group names are unique)`, { group_id: namesake.remoteId ?? namesake.scimId });
    }
    return this.accept(workspaceId, account.id, updateGroupIntent(account.id, group, changes.name, changes, path), idempotencyKey);
  }

  /** Deletes a console group in KnowBe4 (its users stay). Replaying the Idempotency-Key after it is gone returns the operation. */
  async deleteGroup(workspaceId: string, accountId: string, id: string, path: string, idempotencyKey?: string): Promise<Accepted> {
    const account = { id: await this.scope.assertAccount(workspaceId, accountId) };
    if (idempotencyKey !== undefined && !(await this.mirror.findGroup(account.id, id))) {
      const earlier = IDEMPOTENCY_KEY.test(idempotencyKey) ? await this.operations.findByIdempotencyKey(workspaceId, account.id, idempotencyKey) : null;
      if (earlier) return this.accept(workspaceId, account.id, deleteGroupIntent(account.id, { id, keyId: id, scimId: null }, path), idempotencyKey);
    }
    const group = await this.writableGroup(account.id, id);
    return this.accept(workspaceId, account.id, deleteGroupIntent(account.id, group, path), idempotencyKey);
  }

  async addMembers(workspaceId: string, accountId: string, groupId: string, userIds: string[], path: string, idempotencyKey?: string): Promise<Accepted> {
    const account = { id: await this.scope.assertAccount(workspaceId, accountId) };
    const group = await this.groupTarget(account.id, groupId);
    const unique = [...new Set(userIds)];
    await this.assertUsersExist(account.id, unique);
    return this.accept(workspaceId, account.id, addMembersIntent(account.id, group, unique, path), idempotencyKey);
  }

  async removeMember(workspaceId: string, accountId: string, groupId: string, userId: string, path: string, idempotencyKey?: string): Promise<Accepted> {
    const account = { id: await this.scope.assertAccount(workspaceId, accountId) };
    const group = await this.groupTarget(account.id, groupId);
    await this.assertUsersExist(account.id, [userId]);
    return this.accept(workspaceId, account.id, removeMemberIntent(account.id, group, userId, path), idempotencyKey);
  }

  async getOperation(workspaceId: string, id: string, waitSeconds?: number): Promise<OperationView> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound('operation');
    const operation = waitSeconds
      ? await this.waiter.waitForFinish(workspaceId, id, waitSeconds)
      : await this.operations.findInWorkspace(workspaceId, id);
    if (!operation) throw notFound('operation');
    return operationView(operation);
  }

  /** The operation after up to `seconds` of waiting for it to finish (Prefer: wait). */
  async awaitFinished(workspaceId: string, operation: OperationView, seconds: number): Promise<OperationView> {
    if (isFinished(operation) || seconds <= 0) return operation;
    const latest = await this.waiter.waitForFinish(workspaceId, operation.id, seconds);
    return latest ? operationView(latest) : operation;
  }

  async listOperations(workspaceId: string, query: ListOperationsQuery): Promise<{ result: OperationView[]; next_cursor: string | null; result_count: number }> {
    const limit = query.limit ?? 50;
    const before = query.next_cursor ? decodeOperationCursor(query.next_cursor) : undefined;
    if (before === null) throw new ApiError(400, 'next_cursor is not a cursor of this API');
    if (query.integrated_account_id) await this.scope.requireAccount(workspaceId, query.integrated_account_id);
    const rows = await this.operations.listInWorkspace(workspaceId, {
      status: query.status,
      accountId: query.integrated_account_id?.toLowerCase(),
      limit: limit + 1,
      before,
    });
    const page = rows.slice(0, limit);
    return {
      result: page.map(operationView),
      next_cursor: rows.length > limit ? encodeOperationCursor(page[page.length - 1]) : null,
      result_count: page.length,
    };
  }

  /**
   * Re-publishes the command of a failed operation (the DLQ's replay) or of a stuck one (queued or running with no
   * progress for OPERATION_STALL_SECONDS, e.g. its command was lost with a broker); 409 for a succeeded operation
   * or one that is progressing normally.
   */
  async retry(workspaceId: string, id: string): Promise<OperationView> {
    const existing = /^[0-9a-f-]{36}$/i.test(id) ? await this.operations.findInWorkspace(workspaceId, id) : null;
    if (!existing) throw notFound('operation');
    const republish = async (manager: EntityManager, operation: OperationEntity): Promise<void> => {
      await this.outbox.enqueue(manager, [republishedCommand(operation)]);
    };
    const retried =
      existing.status === 'failed'
        ? await this.operations.requeueFailed(workspaceId, existing.id, republish)
        : existing.status === 'succeeded'
          ? null
          : await this.operations.republishStuck(workspaceId, existing.id, stalledScanOf(this.config), republish);
    if (!retried) {
      const stall = this.config.OPERATION_STALL_SECONDS;
      throw new ApiError(
        409,
        existing.status === 'succeeded'
          ? 'operation succeeded; there is nothing to retry'
          : `operation is ${existing.status} and progressing (or was re-published within the last ${stall} s); only failed operations and ones with no progress for ${stall} s can be retried`,
        { status: existing.status },
      );
    }
    if (existing.status !== 'failed') republishedOperations.inc({ reason: 'retry' });
    this.relay.nudge();
    return operationView(retried);
  }

  private async accept(workspaceId: string, accountId: string, intent: WriteIntent, idempotencyKey?: string): Promise<Accepted> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new ApiError(400, 'Idempotency-Key must be 1-255 visible ASCII characters');
    }
    // compared only when the key is used again, so a write without a key skips hashing its request
    const requestHash = idempotencyKey === undefined ? null : requestHashOf(accountId, intent);
    const { operation, replayed } = await recordWriteIntent(this.operations, intent, {
      workspaceId,
      accountId,
      idempotencyKey: idempotencyKey ?? null,
      requestHash,
      actor: currentRequestActor() ?? null,
    });
    if (replayed && operation.requestHash !== requestHash) {
      throw new ApiError(422, 'this Idempotency-Key was already used with a different request', { operation_id: operation.id });
    }
    if (!replayed) this.relay.nudge();
    return { operation: operationView(operation), replayed };
  }

  private async userTarget(accountId: string, id: string): Promise<{ id: string; userName: string; scimId: string | null }> {
    const row = await this.mirror.findUser(accountId, id);
    const userName = row?.emailLower ?? (typeof row?.record.username === 'string' ? row.record.username.toLowerCase() : null);
    if (!row || !userName) throw notFound('user');
    return { id, userName, scimId: row.scimId };
  }

  private async groupTarget(accountId: string, id: string): Promise<GroupTarget & { seq: string; type: unknown }> {
    const row = await this.mirror.findGroup(accountId, id);
    if (!row) throw notFound('group');
    return { id, keyId: row.remoteId ?? row.scimId ?? id, scimId: row.scimId, seq: row.seq, type: row.record.type };
  }

  /** A group SCIM can write: known to the mirror (404) and a console group (smart groups are KnowBe4's own, 422). */
  private async writableGroup(accountId: string, id: string): Promise<GroupTarget & { seq: string }> {
    const group = await this.groupTarget(accountId, id);
    if (group.type === 'smart_group') {
      throw new ApiError(422, `group ${id} is a smart group: KnowBe4 SCIM can only write console groups`, { group_id: id });
    }
    return group;
  }

  /** `groups[]` of a user create, de-duplicated; 404 naming every group the mirror does not know. */
  private async joinableGroups(accountId: string, groups: Array<{ id: string }>): Promise<Array<{ id: string }>> {
    const ids = [...new Set(groups.map((group) => group.id))];
    const missing: string[] = [];
    for (const id of ids) {
      const row = await this.mirror.findGroup(accountId, id);
      if (!row) missing.push(id);
      else if (row.record.type === 'smart_group') throw new ApiError(422, `groups: ${id} is a smart group: KnowBe4 SCIM can only add members to console groups`, { group_id: id });
    }
    if (missing.length > 0) throw new ApiError(404, `groups: group(s) not found in this account: ${missing.join(', ')}`, { missing });
    return ids.map((id) => ({ id }));
  }

  private async assertUsersExist(accountId: string, ids: string[]): Promise<void> {
    const missing: string[] = [];
    for (const id of ids) if (!(await this.mirror.findUser(accountId, id))) missing.push(id);
    if (missing.length > 0) throw new ApiError(404, `user(s) not found: ${missing.join(', ')}`, { missing });
  }
}
