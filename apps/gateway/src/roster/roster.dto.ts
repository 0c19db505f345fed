// class-transformer's @Type reads design:type metadata, which needs the Reflect polyfill loaded first.
import 'reflect-metadata';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';

const UUID_EXAMPLE = '0b6f3c57-5d55-4a1e-9c43-2f0d7b1de0a1';

export class RosterQuery {
  @ApiProperty({ format: 'uuid', example: UUID_EXAMPLE })
  @IsUUID('all', { message: 'integrated_account_id must be a UUID' })
  integrated_account_id!: string;

  @ApiPropertyOptional({ enum: ['true', 'false'], default: 'false', description: 'Plan only: 200 {plan}, nothing is applied (the plan is kept as a roster run with status planned)' })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'dry_run must be true or false' })
  dry_run?: 'true' | 'false';

  @ApiPropertyOptional({ enum: ['true', 'false'], default: 'false', description: 'Apply a plan the archive guard rail refused (ROSTER_MAX_ARCHIVE_SHARE / ROSTER_MAX_ARCHIVE_COUNT)' })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'force must be true or false' })
  force?: 'true' | 'false';
}

export class RosterAccountQuery {
  @ApiProperty({ format: 'uuid', example: UUID_EXAMPLE })
  @IsUUID('all', { message: 'integrated_account_id must be a UUID' })
  integrated_account_id!: string;
}

export class RosterExclusionsDto {
  @ApiPropertyOptional({ type: [String], maxItems: 1000, example: ['it-admin@example.com'], description: 'Users by email (case-insensitive)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(254, { each: true })
  emails?: string[];

  @ApiPropertyOptional({ type: [String], maxItems: 100, example: ['contractors.example.com'], description: 'Users whose email is at one of these domains' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(253, { each: true })
  email_domains?: string[];

  @ApiPropertyOptional({ type: [String], maxItems: 100, example: ['Console Admins'], description: 'Users in one of these groups (by name)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(255, { each: true })
  groups?: string[];
}

export class RosterSettingsDto {
  @ApiProperty({ type: RosterExclusionsDto, description: 'People the roster never archives or changes (e.g. console-only admins)' })
  @ValidateNested()
  @Type(() => RosterExclusionsDto)
  exclude!: RosterExclusionsDto;
}

export class RosterRunListQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only runs of this integrated account', example: UUID_EXAMPLE })
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

export class RosterItemsQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: 'next_cursor is not a cursor of this API' })
  next_cursor?: string;

  @ApiPropertyOptional({ enum: ['failed'], description: '`failed`: only the items whose operation failed (per-person errors)' })
  @IsOptional()
  @IsIn(['failed'])
  status?: 'failed';
}

class RosterCountsDto {
  @ApiProperty() create!: number;
  @ApiProperty() update!: number;
  @ApiProperty() archive!: number;
  @ApiProperty() reactivate!: number;
  @ApiProperty() add_member!: number;
  @ApiProperty() remove_member!: number;
}

export class RosterPlanDto {
  @ApiProperty({ format: 'uuid', description: 'The roster run that keeps the whole plan (GET /roster-runs/{id}/items)' }) roster_run_id!: string;
  @ApiProperty() rows!: number;
  @ApiProperty({ type: RosterCountsDto }) counts!: RosterCountsDto;
  @ApiProperty({ description: 'Rows whose person needs no change' }) unchanged!: number;
  @ApiProperty({ description: 'People the account\'s exclusions keep out of the roster' }) excluded!: number;
  @ApiProperty() active_users!: number;
  @ApiProperty({ description: 'archive / active_users' }) archive_share!: number;
  @ApiProperty({ description: 'The first 100 changes', type: 'array', items: { type: 'object' } }) changes!: unknown[];
  @ApiProperty() changes_total!: number;
  @ApiProperty() changes_truncated!: boolean;
  @ApiProperty({ description: 'The plan exceeds the archive guard rail; applying it needs force=true' }) needs_force!: boolean;
}

export class RosterPlanResponseDto {
  @ApiProperty({ type: RosterPlanDto }) plan!: RosterPlanDto;
}

export class RosterRunDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) integrated_account_id!: string;
  @ApiProperty({ enum: ['planned', 'refused', 'running', 'completed'] }) status!: string;
  @ApiProperty() dry_run!: boolean;
  @ApiProperty() forced!: boolean;
  @ApiProperty() rows!: number;
  @ApiProperty({ type: RosterCountsDto, description: 'The plan, by action' }) plan!: RosterCountsDto;
  @ApiProperty({ description: '{planned, done, failed, in_progress, pending}: items, and their operations\' states', type: 'object', additionalProperties: { type: 'integer' } })
  counts!: Record<string, number>;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, description: 'Why the run was refused (guard rail numbers)' }) refusal!: unknown;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finished_at!: string | null;
}

export class RosterRunResponseDto {
  @ApiProperty({ type: RosterRunDto }) roster_run!: RosterRunDto;
}

export class RosterRunDetailDto extends RosterRunDto {
  @ApiProperty({ description: 'Per-person errors: the first 100 items whose operation failed', type: 'array', items: { type: 'object' } }) errors!: unknown[];
}

export class RosterRunListDto {
  @ApiProperty({ type: [RosterRunDto] }) result!: RosterRunDto[];
  @ApiProperty({ type: String, nullable: true }) next_cursor!: string | null;
  @ApiProperty() result_count!: number;
}

export class RosterItemListDto {
  @ApiProperty({ type: 'array', items: { type: 'object' } }) result!: unknown[];
  @ApiProperty({ type: String, nullable: true }) next_cursor!: string | null;
  @ApiProperty() result_count!: number;
}
