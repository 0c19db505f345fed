import {
  AddGroupMembersCommand,
  ArchiveUserCommand,
  COMMAND_TYPES,
  CommandType,
  CreateGroupCommand,
  CreateUserCommand,
  DeleteGroupCommand,
  RemoveGroupMemberCommand,
  UpdateGroupCommand,
  UpdateUserCommand,
} from '@kb4/contracts';
import { CallOptions, isKnowBe4Error, KnowBe4NotFoundError, ScimClient, ScimConflictError, ScimGroup, ScimRequestError, ScimUser } from '@kb4/knowbe4';
import { unifiedGroupToScimGroup, unifiedPatchToScimPatchOps, unifiedUserToScimUser } from '@kb4/mapping';
import { OperationMirrorRepository } from '@kb4/persistence';
import type { EntityManager } from 'typeorm';
import { CommandRejectedError } from '../commands/failure';

export type ScimAction =
  | 'user_created'
  | 'user_adopted'
  | 'user_updated'
  | 'user_archived'
  | 'group_created'
  | 'group_adopted'
  | 'members_added'
  | 'member_removed'
  | 'group_updated'
  | 'group_deleted';

/** A group a created user joined: its unified id (Reporting id, else SCIM id) and name as the mirror knows them. */
export interface JoinedGroup {
  id: string;
  scimId: string;
  name: string | null;
}

/** A group membership of a user create that KnowBe4 refused for good (the user itself was written). */
export interface FailedGroup {
  id: string;
  code: string;
  message: string;
}

/** What one command did in KnowBe4; the operation row keeps `summary`, the mirror refresh uses the rest. */
export interface ScimWriteResult {
  action: ScimAction;
  user?: ScimUser;
  group?: ScimGroup;
  membership?: { groupId: string; groupScimId: string; userIds: string[]; userScimIds: string[]; member: boolean };
  /** A user create with `groups`: the groups the user is now a member of. */
  joined?: JoinedGroup[];
  /** The id the caller addressed a group update or delete with (its mirror row may not know the SCIM id yet). */
  groupId?: string;
  /** A group delete: `alreadyAbsent` when KnowBe4 no longer had it (a repeated delete). */
  deleted?: { scimId: string | null; alreadyAbsent: boolean };
}

/** RFC 7644 §3.5.2.2: a value filter that matches no member is `noTarget` — the member is already gone. */
function isNoTarget(error: unknown): boolean {
  return error instanceof ScimRequestError && error.scimType === 'noTarget';
}

/**
 * A user create whose user was written but some of whose group memberships KnowBe4 refused for good: the operation
 * fails (non-retryable) and says which; `partial` is what did happen, so the mirror still learns about the user.
 */
export class PartialUserCreateError extends CommandRejectedError {
  constructor(
    readonly partial: ScimWriteResult,
    failed: FailedGroup[],
  ) {
    super(
      'group_membership_failed',
      `user ${partial.user?.userName ?? ''} was written but could not join ${failed.length} group(s): ${failed.map((g) => `${g.id} (${g.message})`).join('; ')}`,
      failed.every((g) => g.code === 'group_not_found') ? 'not_found_error' : 'validation_error',
      {
        user_scim_id: partial.user?.id ?? null,
        user_action: partial.action,
        groups_joined: (partial.joined ?? []).map((g) => g.id),
        groups_failed: failed,
      },
    );
    this.name = 'PartialUserCreateError';
  }
}

export interface WriteContext {
  client: ScimClient;
  accountId: string;
  /** Sent as x-request-id so KnowBe4's logs and ours correlate. */
  requestId: string;
  /** Where mirror lookups run (default: the pool, one short statement each; SCIM is never called inside a transaction). */
  db?: Pick<EntityManager, 'query'>;
  /** Aborts the SCIM call in flight (the provisioner is stopping and its grace is over). */
  signal?: AbortSignal;
}

const callOptions = (context: Pick<WriteContext, 'requestId' | 'signal'>): CallOptions => ({ requestId: context.requestId, signal: context.signal });

const isReportingId = (id: string): boolean => /^\d+$/.test(id);

/**
 * Applies one provisioning command through KnowBe4 SCIM. Every write is safe to repeat: a create that meets an
 * existing userName adopts that user and writes the requested state over it (adopt-and-update), archiving an
 * archived user succeeds, adding a present member or removing an absent one changes nothing.
 */
export class ScimWriter {
  constructor(private readonly mirror: OperationMirrorRepository) {}

  apply(type: CommandType, command: object, context: WriteContext): Promise<ScimWriteResult> {
    switch (type) {
      case COMMAND_TYPES.createUser:
        return this.createUser(command as CreateUserCommand, context);
      case COMMAND_TYPES.updateUser:
        return this.updateUser(command as UpdateUserCommand, context);
      case COMMAND_TYPES.archiveUser:
        return this.archiveUser(command as ArchiveUserCommand, context);
      case COMMAND_TYPES.createGroup:
        return this.createGroup(command as CreateGroupCommand, context);
      case COMMAND_TYPES.addGroupMembers:
        return this.addMembers(command as AddGroupMembersCommand, context);
      case COMMAND_TYPES.removeGroupMember:
        return this.removeMember(command as RemoveGroupMemberCommand, context);
      case COMMAND_TYPES.updateGroup:
        return this.updateGroup(command as UpdateGroupCommand, context);
      case COMMAND_TYPES.deleteGroup:
        return this.deleteGroup(command as DeleteGroupCommand, context);
    }
  }

  /** The user first (create or adopt), then one SCIM Group PATCH add per group; every step is safe to repeat. */
  private async createUser(command: CreateUserCommand, context: WriteContext): Promise<ScimWriteResult> {
    const written = await this.createOrAdoptUser(command, context);
    if (!command.groups || command.groups.length === 0) return written;
    const joined: JoinedGroup[] = [];
    const failed: FailedGroup[] = [];
    for (const ref of command.groups) {
      try {
        joined.push(await this.joinGroup(context, ref.id, written.user!.id!));
      } catch (error) {
        // 429, 5xx and network failures retry the whole command (it is idempotent); a refusal is reported per group.
        if (isKnowBe4Error(error) && !error.transient) failed.push({ id: ref.id, code: error instanceof KnowBe4NotFoundError ? 'group_not_found' : error.insight, message: error.message });
        else if (error instanceof CommandRejectedError) failed.push({ id: ref.id, code: error.code, message: error.message });
        else throw error;
      }
    }
    const result = { ...written, joined };
    if (failed.length > 0) throw new PartialUserCreateError(result, failed);
    return result;
  }

  private async joinGroup(context: WriteContext, groupId: string, userScimId: string): Promise<JoinedGroup> {
    const row = await this.mirror.findGroup(context.accountId, groupId, context.db);
    const scimId = await this.groupScimId(context, groupId);
    await context.client.addGroupMembers(scimId, [userScimId], callOptions(context));
    return { id: row?.remoteId ?? scimId, scimId, name: row?.name ?? null };
  }

  private async createOrAdoptUser(command: CreateUserCommand, context: WriteContext): Promise<ScimWriteResult> {
    const { client } = context;
    const desired = unifiedUserToScimUser({ ...command.user, username: command.user.username ?? command.user_name });
    const options = callOptions(context);
    try {
      return { action: 'user_created', user: await client.createUser(desired, options) };
    } catch (error) {
      if (!(error instanceof ScimConflictError)) throw error;
      // Adopt-and-update: the userName already exists (created outside, or by an earlier delivery of this command).
      const existing = (error.existing as ScimUser | undefined) ?? (await client.findUserByUserName(desired.userName, options));
      if (!existing?.id) throw new Error(`KnowBe4 reported ${desired.userName} as taken but the lookup found no user`);
      return { action: 'user_adopted', user: await client.replaceUser(existing.id, desired, options) };
    }
  }

  private async updateUser(command: UpdateUserCommand, context: WriteContext): Promise<ScimWriteResult> {
    const scimId = await this.userScimId(context, command.user_id, command.user_name, command.scim_id);
    const patch = unifiedPatchToScimPatchOps(command.changes);
    const options = callOptions(context);
    const user =
      patch.Operations.length === 0
        ? await context.client.getUser(scimId, options)
        : await context.client.patchUser(scimId, patch.Operations, options);
    return { action: 'user_updated', user };
  }

  private async archiveUser(command: ArchiveUserCommand, context: WriteContext): Promise<ScimWriteResult> {
    const scimId = await this.userScimId(context, command.user_id, command.user_name, command.scim_id);
    // PATCH active=false archives (KnowBe4 never deletes); an archived user answers 200 again.
    return { action: 'user_archived', user: await context.client.archiveUser(scimId, callOptions(context)) };
  }

  private async createGroup(command: CreateGroupCommand, context: WriteContext): Promise<ScimWriteResult> {
    const { client } = context;
    const desired = unifiedGroupToScimGroup({ name: command.group.name, external_id: command.group.external_id ?? null });
    try {
      return { action: 'group_created', group: await client.createGroup(desired, callOptions(context)) };
    } catch (error) {
      if (!(error instanceof ScimConflictError)) throw error;
      // Group names are unique in a KnowBe4 console; the existing group is adopted as it is (members untouched).
      const existing = await this.groupByName(context, command.group.name);
      if (!existing) throw new Error(`KnowBe4 reported group ${command.group.name} as taken but no group has that name`);
      return { action: 'group_adopted', group: existing };
    }
  }

  private async addMembers(command: AddGroupMembersCommand, context: WriteContext): Promise<ScimWriteResult> {
    const groupScimId = await this.groupScimId(context, command.group_id);
    const userScimIds: string[] = [];
    for (const userId of command.user_ids) userScimIds.push(await this.userScimId(context, userId));
    await context.client.addGroupMembers(groupScimId, userScimIds, callOptions(context));
    return {
      action: 'members_added',
      membership: { groupId: command.group_id, groupScimId, userIds: command.user_ids, userScimIds, member: true },
    };
  }

  private async removeMember(command: RemoveGroupMemberCommand, context: WriteContext): Promise<ScimWriteResult> {
    const groupScimId = await this.groupScimId(context, command.group_id);
    const userIds = command.user_ids ?? [command.user_id];
    const userScimIds: string[] = [];
    for (const userId of userIds) userScimIds.push(await this.userScimId(context, userId));
    try {
      await context.client.removeGroupMembers(groupScimId, userScimIds, callOptions(context));
    } catch (error) {
      if (!isNoTarget(error)) throw error;
      // a PATCH is atomic: one member already gone fails them all, so each leaves on its own (gone is done)
      if (userScimIds.length > 1) {
        for (const userScimId of userScimIds) {
          await context.client.removeGroupMembers(groupScimId, [userScimId], callOptions(context)).catch((each: unknown) => {
            if (!isNoTarget(each)) throw each;
          });
        }
      }
    }
    return {
      action: 'member_removed',
      membership: { groupId: command.group_id, groupScimId, userIds, userScimIds, member: false },
    };
  }

  /** SCIM PATCH replace displayName, read back for the mirror; renaming to the current name changes nothing. */
  private async updateGroup(command: UpdateGroupCommand, context: WriteContext): Promise<ScimWriteResult> {
    const scimId = command.scim_id ?? (await this.groupScimId(context, command.group_id));
    const options = callOptions(context);
    const answered = await context.client.patchGroup(scimId, [{ op: 'replace', path: 'displayName', value: command.name }], options);
    // KnowBe4 may answer 204 (RFC 7644 §3.5.2); the mirror refresh needs the group as it now is.
    const group = answered?.id ? answered : await context.client.getGroup(scimId, options);
    return { action: 'group_updated', group, groupId: command.group_id };
  }

  /**
   * SCIM DELETE; a group KnowBe4 answers 404 for is already deleted (a repeated or retried delete succeeds). A group
   * known only by Reporting id that no SCIM group matches by name is not assumed gone (the console may have renamed
   * it): that fails with group_not_found until a sync has refreshed the mirror.
   */
  private async deleteGroup(command: DeleteGroupCommand, context: WriteContext): Promise<ScimWriteResult> {
    const scimId = command.scim_id ?? (await this.groupScimId(context, command.group_id));
    try {
      await context.client.deleteGroup(scimId, callOptions(context));
    } catch (error) {
      if (!(error instanceof KnowBe4NotFoundError)) throw error;
      return { action: 'group_deleted', groupId: command.group_id, deleted: { scimId, alreadyAbsent: true } };
    }
    return { action: 'group_deleted', groupId: command.group_id, deleted: { scimId, alreadyAbsent: false } };
  }

  /** The SCIM id of a user addressed by unified id, SCIM id or userName (mirror first, then KnowBe4). */
  private async userScimId(context: WriteContext, userId: string, userName?: string, hint?: string | null): Promise<string> {
    if (hint) return hint;
    const row = await this.mirror.findUser(context.accountId, userId, context.db);
    if (row?.scimId) return row.scimId;
    const options = callOptions(context);
    const email = row?.emailLower ?? userName ?? (userId.includes('@') ? userId : undefined);
    if (email) {
      const found = await context.client.findUserByUserName(email, options);
      if (found?.id) return found.id;
    }
    if (!isReportingId(userId)) {
      try {
        const user = await context.client.getUser(userId, options);
        if (user.id) return user.id;
      } catch (error) {
        if (!(error instanceof KnowBe4NotFoundError)) throw error;
      }
    }
    throw new CommandRejectedError('user_not_found', `user ${userId} does not exist in KnowBe4`, 'not_found_error');
  }

  /** The SCIM id of a group addressed by unified id or SCIM id (mirror first, then KnowBe4 by name). */
  private async groupScimId(context: WriteContext, groupId: string): Promise<string> {
    const row = await this.mirror.findGroup(context.accountId, groupId, context.db);
    if (row?.scimId) return row.scimId;
    if (row) {
      const byName = await this.groupByName(context, row.name);
      if (byName?.id) return byName.id;
    } else if (!isReportingId(groupId)) {
      try {
        const group = await context.client.getGroup(groupId, callOptions(context));
        if (group.id) return group.id;
      } catch (error) {
        if (!(error instanceof KnowBe4NotFoundError)) throw error;
      }
    }
    throw new CommandRejectedError('group_not_found', `group ${groupId} does not exist in KnowBe4 SCIM (smart groups cannot be written)`, 'not_found_error');
  }

  private async groupByName(context: Pick<WriteContext, 'client' | 'requestId' | 'signal'>, name: string): Promise<ScimGroup | undefined> {
    const { client } = context;
    const wanted = name.toLowerCase();
    const options = callOptions(context);
    try {
      for await (const group of client.listGroups({ filter: `displayName eq ${JSON.stringify(name)}` }, options)) {
        if (group.displayName.toLowerCase() === wanted) return group;
      }
      return undefined;
    } catch (error) {
      if (!(error instanceof ScimRequestError)) throw error;
    }
    // KnowBe4 documents userName as the only filter; walk every group when displayName is refused.
    for await (const group of client.listGroups({}, options)) {
      if (group.displayName.toLowerCase() === wanted) return group;
    }
    return undefined;
  }
}
