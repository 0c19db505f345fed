// class-transformer's @Type reads design:type metadata, which needs the Reflect polyfill loaded first.
import 'reflect-metadata';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength, ValidateNested } from 'class-validator';
import { PageLimit } from '../http/page-limit';

const UUID_EXAMPLE = '0b6f3c57-5d55-4a1e-9c43-2f0d7b1de0a1';
const CHANGE_EXAMPLE = {
  action: 'update',
  line: 42,
  email: 'ada.lovelace@example.com',
  user_id: '1234567',
  changes: [{ field: 'department', from: 'Sales', to: 'Engineering' }],
};

export class RosterQuery {
  @ApiProperty({ format: 'uuid', example: UUID_EXAMPLE, description: 'The integrated account whose KnowBe4 directory the roster describes' })
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
  @ApiProperty({ format: 'uuid', example: UUID_EXAMPLE, description: 'The integrated account whose KnowBe4 directory the roster describes' })
  @IsUUID('all', { message: 'integrated_account_id must be a UUID' })
  integrated_account_id!: string;
}

export class RosterExclusions {
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
  @ApiProperty({
    type: RosterExclusions,
    description: 'People the roster never archives or changes (e.g. console-only admins)',
    example: { emails: ['it-admin@example.com'], email_domains: ['contractors.example.com'], groups: ['Console Admins'] },
  })
  @ValidateNested()
  @Type(() => RosterExclusions)
  exclude!: RosterExclusions;
}

export class RosterRunListQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only runs of this integrated account', example: UUID_EXAMPLE })
  @IsOptional()
  @IsUUID('all', { message: 'integrated_account_id must be a UUID' })
  integrated_account_id?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50, description: 'Runs per page, newest first' })
  @PageLimit(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: 'next_cursor is not a cursor of this API' })
  next_cursor?: string;
}

export class RosterItemsQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100, description: 'Items per page, in plan order' })
  @PageLimit(1000)
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
  @ApiProperty({ example: 50 }) create!: number;
  @ApiProperty({ example: 200 }) update!: number;
  @ApiProperty({ example: 30 }) archive!: number;
  @ApiProperty({ example: 0 }) reactivate!: number;
  @ApiProperty({ example: 200 }) add_member!: number;
  @ApiProperty({ example: 200 }) remove_member!: number;
}

export class RosterPlanDto {
  @ApiProperty({ format: 'uuid', example: UUID_EXAMPLE, description: 'The roster run that keeps the whole plan (GET /roster-runs/{id}/items)' }) roster_run_id!: string;
  @ApiProperty({ example: 5020 }) rows!: number;
  @ApiProperty({ type: RosterCountsDto }) counts!: RosterCountsDto;
  @ApiProperty({ example: 4770, description: 'Rows whose person needs no change' }) unchanged!: number;
  @ApiProperty({ example: 2, description: 'People the account\'s exclusions keep out of the roster' }) excluded!: number;
  @ApiProperty({ example: 5002 }) active_users!: number;
  @ApiProperty({ example: 0.006, description: 'archive / active_users' }) archive_share!: number;
  @ApiProperty({ description: 'The first 100 changes', type: 'array', items: { type: 'object' }, example: [CHANGE_EXAMPLE] }) changes!: unknown[];
  @ApiProperty({ example: 680 }) changes_total!: number;
  @ApiProperty({ example: true }) changes_truncated!: boolean;
  @ApiProperty({ example: false, description: 'The plan exceeds the archive guard rail; applying it needs force=true' }) needs_force!: boolean;
}

export class RosterPlanResponseDto {
  @ApiProperty({ type: RosterPlanDto }) plan!: RosterPlanDto;
}

export class RosterRunDto {
  @ApiProperty({ format: 'uuid', example: '5d0b6a8e-8f65-4c8e-b1b8-3a1f1c2d9e77' }) id!: string;
  @ApiProperty({ format: 'uuid', example: UUID_EXAMPLE }) integrated_account_id!: string;
  @ApiProperty({ enum: ['planned', 'refused', 'running', 'completed'], example: 'running', description: 'planned: a dry run; refused: the guard rail; running; completed: every operation finished' }) status!: string;
  @ApiProperty({ example: false }) dry_run!: boolean;
  @ApiProperty({ example: false }) forced!: boolean;
  @ApiProperty({ example: 5020 }) rows!: number;
  @ApiProperty({ type: RosterCountsDto, description: 'The plan, by action' }) plan!: RosterCountsDto;
  @ApiProperty({
    description: '{planned, done, failed, in_progress, pending}: items, and their operations\' states',
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { planned: 680, done: 412, failed: 1, in_progress: 40, pending: 227 },
  })
  counts!: Record<string, number>;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, example: null, description: 'Why the run was refused (guard rail numbers)' }) refusal!: unknown;
  @ApiProperty({ format: 'date-time', example: '2026-11-28T05:00:00.000Z' }) created_at!: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-28T05:00:03.000Z' }) updated_at!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, example: null }) finished_at!: string | null;
}

export class RosterRunResponseDto {
  @ApiProperty({ type: RosterRunDto }) roster_run!: RosterRunDto;
}

export class RosterRunDetailDto extends RosterRunDto {
  @ApiProperty({ description: 'Per-person errors: the first 100 items whose operation failed', type: 'array', items: { type: 'object' }, example: [] }) errors!: unknown[];
}

export class RosterRunListDto {
  @ApiProperty({ type: [RosterRunDto] }) result!: RosterRunDto[];
  @ApiProperty({ type: String, nullable: true, example: null }) next_cursor!: string | null;
  @ApiProperty({ example: 1 }) result_count!: number;
}

export class RosterItemListDto {
  @ApiProperty({ type: 'array', items: { type: 'object' }, example: [{ item: 1, ...CHANGE_EXAMPLE, operation_id: null, status: 'pending', error: null }] }) result!: unknown[];
  @ApiProperty({ type: String, nullable: true, example: null }) next_cursor!: string | null;
  @ApiProperty({ example: 1 }) result_count!: number;
}
