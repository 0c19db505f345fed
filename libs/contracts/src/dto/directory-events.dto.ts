// class-transformer's @Type reads design:type metadata, which needs the Reflect polyfill loaded first.
import 'reflect-metadata';
import type { UnifiedGroup, UnifiedUser } from '../unified/unified-records';
import { Type } from 'class-transformer';
import { ArrayNotEmpty, IsArray, IsIn, IsNotEmpty, IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';
import { FieldChangeDto } from './common.dto';
import { UnifiedGroupRecordDto, UnifiedUserRecordDto } from './unified-records.dto';

// `changes` is declared per class, never inherited: class-validator merges a parent's @IsOptional into a
// subclass that wants the field required.

/** Every directory event carries these (design.md "Directory event types"). */
export abstract class DirectoryEventDataBase {
  @IsString()
  @IsNotEmpty()
  integrated_account_id!: string;

  @IsString()
  @IsNotEmpty()
  sync_run_id!: string;

  /** KnowBe4 Reporting id of the record the event is about, as a string. */
  @IsString()
  @IsNotEmpty()
  remote_id!: string;
}

/**
 * `knowbe4.user.created|archived|reactivated|deleted|risk_changed`: `user` is the unified record after the
 * change (for `deleted`, the last one seen). `risk_changed` lists the risk fields in `changes`.
 */
export class UserEventData extends DirectoryEventDataBase {
  @ValidateNested()
  @Type(() => UnifiedUserRecordDto)
  user!: UnifiedUser;

  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => FieldChangeDto)
  changes?: FieldChangeDto[];
}

/** `knowbe4.user.updated`: the record after the change and at least one field change. */
export class UserUpdatedEventData extends DirectoryEventDataBase {
  @ValidateNested()
  @Type(() => UnifiedUserRecordDto)
  user!: UnifiedUser;

  @IsArray()
  @ArrayNotEmpty()
  @ValidateNested({ each: true })
  @Type(() => FieldChangeDto)
  changes!: FieldChangeDto[];
}

/** `knowbe4.group.created|updated|deleted`; `updated` lists its `changes`. */
export class GroupEventData extends DirectoryEventDataBase {
  @ValidateNested()
  @Type(() => UnifiedGroupRecordDto)
  group!: UnifiedGroup;

  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => FieldChangeDto)
  changes?: FieldChangeDto[];
}

/** `knowbe4.group.member_added|member_removed`; `remote_id` is the group's, so it orders with group events. */
export class GroupMembershipEventData extends DirectoryEventDataBase {
  @IsString()
  @IsNotEmpty()
  group_id!: string;

  @IsString()
  @IsNotEmpty()
  user_id!: string;

  @ValidateNested()
  @Type(() => UnifiedGroupRecordDto)
  group!: UnifiedGroup;

  /** The member as last seen; absent when the user is unknown to the mirror. */
  @IsOptional()
  @ValidateNested()
  @Type(() => UnifiedUserRecordDto)
  user?: UnifiedUser;
}

/** `knowbe4.training.enrollment_changed`: `remote_id` is the enrollment id. */
export class TrainingEnrollmentChangedEventData extends DirectoryEventDataBase {
  @IsOptional()
  @IsString()
  user_id?: string | null;

  /** The enrollment as KnowBe4 returned it. */
  @IsObject()
  enrollment!: Record<string, unknown>;

  /** `removed`: KnowBe4 no longer lists the enrollment (or its user was deleted). */
  @IsOptional()
  @IsIn(['created', 'updated', 'removed'])
  change?: 'created' | 'updated' | 'removed';

  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => FieldChangeDto)
  changes?: FieldChangeDto[];
}
