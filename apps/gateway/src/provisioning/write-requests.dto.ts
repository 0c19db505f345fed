// class-transformer's @Type reads design:type metadata, which needs the Reflect polyfill loaded first.
import 'reflect-metadata';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { GroupWriteDto, UserWriteDto } from '@kb4/contracts';

/** `integrated_account_id`, required on every write (the account whose KnowBe4 tenant is written). */
export class WriteQuery {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'integrated_account_id must be a UUID' })
  integrated_account_id!: string;
}

/**
 * A unified user write (`@kb4/contracts` UserWriteDto): only fields KnowBe4 SCIM can store are known;
 * `employee_start_date`, `remote_data`, risk scores and other read-only fields are refused as unknown.
 */
export class UserWriteRequest extends UserWriteDto {}

/** POST /unified/user-directory/groups: a console group (smart groups cannot be created through SCIM). */
export class CreateGroupRequest extends GroupWriteDto {
  @ApiProperty({ example: 'Finance' })
  @Length(1, 255)
  declare name: string;

  @ApiPropertyOptional({ description: 'SCIM externalId: your own id for the group', example: 'grp-42' })
  declare external_id?: string | null;
}

export class AddGroupMembersRequest {
  @ApiProperty({ description: 'Unified (Reporting) or SCIM user ids', example: ['2147483690'] })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(500)
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  user_ids!: string[];
}

export const OPERATION_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;

export class ListOperationsQuery {
  @ApiPropertyOptional({ enum: OPERATION_STATUSES, description: '`failed` is the dead-letter view' })
  @IsOptional()
  @IsIn(OPERATION_STATUSES)
  status?: (typeof OPERATION_STATUSES)[number];

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'integrated_account_id must be a UUID' })
  integrated_account_id?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: 'next_cursor is not a cursor of this API' })
  next_cursor?: string;
}
