import {
  AddGroupMembersCommand,
  ArchiveUserCommand,
  COMMAND_TYPES,
  CommandType,
  CreateGroupCommand,
  CreateUserCommand,
  RemoveGroupMemberCommand,
  UpdateUserCommand,
} from '@kb4/contracts';
import { CallOptions, KnowBe4NotFoundError, ScimClient, ScimConflictError, ScimGroup, ScimRequestError, ScimUser } from '@kb4/knowbe4';
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
  | 'member_removed';

/** What one command did in KnowBe4; the operation row keeps `summary`, the mirror refresh uses the rest. */
export interface ScimWriteResult {
  action: ScimAction;
  user?: ScimUser;
  group?: ScimGroup;
  membership?: { groupId: string; groupScimId: string; userIds: string[]; userScimIds: string[]; member: boolean };
}

export interface WriteContext {
  client: ScimClient;
  accountId: string;
  /** Sent as x-request-id so KnowBe4's logs and ours correlate. */
  requestId: string;
  /** Mirror lookups run on the command's own transaction, so it never needs a second pooled connection. */
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
    }
  }

  private async createUser(command: CreateUserCommand, context: WriteContext): Promise<ScimWriteResult> {
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
    const userScimId = await this.userScimId(context, command.user_id);
    try {
      await context.client.removeGroupMembers(groupScimId, [userScimId], callOptions(context));
    } catch (error) {
      // RFC 7644 §3.5.2.2: a value filter that matches no member is `noTarget` — the member is already gone.
      if (!(error instanceof ScimRequestError && error.scimType === 'noTarget')) throw error;
    }
    return {
      action: 'member_removed',
      membership: { groupId: command.group_id, groupScimId, userIds: [command.user_id], userScimIds: [userScimId], member: false },
    };
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
