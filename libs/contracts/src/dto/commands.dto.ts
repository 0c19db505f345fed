// class-transformer's @Type reads design:type metadata, which needs the Reflect polyfill loaded first.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsEmail,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsOptional,
  IsString,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { GroupRefWriteDto, UserWriteDto, WRITE_FIELD_LIMITS } from './user-write.dto';

/** Fields of every `knowbe4.command.*` payload. */
export abstract class ProvisioningCommandBase {
  /** The gateway's operation id (`GET /operations/{id}`); results and DLQ entries carry it back. */
  @IsString()
  @IsNotEmpty()
  operation_id!: string;

  @IsString()
  @IsNotEmpty()
  integrated_account_id!: string;

  /** 1 for the first delivery; the provisioner re-publishes with attempt + 1 when it retries. */
  @IsInt()
  @Min(1)
  attempt!: number;

  @IsOptional()
  @IsISO8601()
  requested_at?: string;
}

/** Commands about one user carry its userName: it is the partition key and the SCIM lookup filter. */
export abstract class UserCommandBase extends ProvisioningCommandBase {
  /** The primary email, lower-cased (KnowBe4's SCIM `userName`). */
  @IsEmail()
  user_name!: string;
}

/**
 * `knowbe4.command.user.create`. With `groups`, the user and its memberships are one command and one operation:
 * the provisioner creates (or adopts) the user, then adds it to each group with a SCIM Group PATCH. Keyed by the
 * user, like every write of that user; each step is idempotent, so a redelivery or retry re-applies all of it.
 */
export class CreateUserCommand extends UserCommandBase {
  @ValidateNested()
  @Type(() => UserWriteDto)
  user!: UserWriteDto;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(WRITE_FIELD_LIMITS.userGroups)
  @ValidateNested({ each: true })
  @Type(() => GroupRefWriteDto)
  groups?: GroupRefWriteDto[];
}

/** `knowbe4.command.user.update`: only the fields present in `changes` are written. */
export class UpdateUserCommand extends UserCommandBase {
  /** Unified id (Reporting id) or SCIM id, as the caller addressed the user. */
  @IsString()
  @IsNotEmpty()
  user_id!: string;

  @IsOptional()
  @IsString()
  scim_id?: string | null;

  @ValidateNested()
  @Type(() => UserWriteDto)
  changes!: UserWriteDto;
}

/** `knowbe4.command.user.archive`: KnowBe4 archives, it never deletes. */
export class ArchiveUserCommand extends UserCommandBase {
  @IsString()
  @IsNotEmpty()
  user_id!: string;

  @IsOptional()
  @IsString()
  scim_id?: string | null;
}

export class GroupWriteDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(WRITE_FIELD_LIMITS.text)
  name!: string;

  @IsOptional()
  @IsString()
  @MaxLength(WRITE_FIELD_LIMITS.text)
  external_id?: string | null;
}

/** `knowbe4.command.group.create`: a console group (smart groups cannot be created through SCIM). */
export class CreateGroupCommand extends ProvisioningCommandBase {
  @ValidateNested()
  @Type(() => GroupWriteDto)
  group!: GroupWriteDto;
}

/** `knowbe4.command.group.add_members` */
export class AddGroupMembersCommand extends ProvisioningCommandBase {
  /** Unified (Reporting) or SCIM group id. */
  @IsString()
  @IsNotEmpty()
  group_id!: string;

  /** Unified (Reporting) or SCIM user ids. */
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(WRITE_FIELD_LIMITS.groupMembers)
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  @MaxLength(WRITE_FIELD_LIMITS.userId, { each: true })
  user_ids!: string[];
}

/** `knowbe4.command.group.remove_member` */
export class RemoveGroupMemberCommand extends ProvisioningCommandBase {
  @IsString()
  @IsNotEmpty()
  group_id!: string;

  /** The user leaving the group (the first of `user_ids` when several leave at once). */
  @IsString()
  @IsNotEmpty()
  user_id!: string;

  /** Several users leaving at once (a roster's batch: one SCIM PATCH of the group); absent: `user_id` alone. */
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(WRITE_FIELD_LIMITS.groupMembers)
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  @MaxLength(WRITE_FIELD_LIMITS.userId, { each: true })
  user_ids?: string[];
}

/** Fields of a group write that address an existing group. */
export abstract class ExistingGroupCommandBase extends ProvisioningCommandBase {
  /** Unified (Reporting) or SCIM group id, as the caller addressed the group. */
  @IsString()
  @IsNotEmpty()
  group_id!: string;

  @IsOptional()
  @IsString()
  scim_id?: string | null;
}

/**
 * `knowbe4.command.group.update`: a rename (SCIM PATCH replace displayName). KnowBe4 groups have no description,
 * so the command carries none.
 */
export class UpdateGroupCommand extends ExistingGroupCommandBase {
  @IsString()
  @IsNotEmpty()
  @MaxLength(WRITE_FIELD_LIMITS.text)
  name!: string;
}

/** `knowbe4.command.group.delete`: SCIM DELETE; a group already gone counts as deleted. */
export class DeleteGroupCommand extends ExistingGroupCommandBase {}

export type ProvisioningCommand =
  | CreateUserCommand
  | UpdateUserCommand
  | ArchiveUserCommand
  | CreateGroupCommand
  | AddGroupMembersCommand
  | RemoveGroupMemberCommand
  | UpdateGroupCommand
  | DeleteGroupCommand;
