import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsBoolean, IsIn, IsOptional, IsString, IsUUID, Length, Matches, ValidateBy } from 'class-validator';
import { PageLimit } from '../http/page-limit';

export const USER_SORT_FIELDS = ['first_name', 'last_name', 'email', 'updated_at'] as const;
export const GROUP_SORT_FIELDS = ['name', 'updated_at'] as const;
const sortOptions = (fields: readonly string[]): string[] => fields.flatMap((f) => [f, `-${f}`]);

// eslint-disable-next-line no-control-regex -- NUL is exactly what Postgres text cannot hold
const NO_NUL = /^[^\u0000]*$/;
const FIELD_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** Free text that Postgres can store: bounded and without NUL bytes. */
export function IsFilterText(max = 320): PropertyDecorator {
  return (target, key) => {
    IsString()(target, key);
    Length(1, max)(target, key);
    Matches(NO_NUL, { message: `${String(key)} must not contain NUL characters` })(target, key);
  };
}

/** An ISO 8601 timestamp in years 1–9999 (what both JavaScript and Postgres can hold), normalised to UTC. */
export function IsTimestamp(): PropertyDecorator {
  return (target, key) => {
    ValidateBy({
      name: 'isTimestamp',
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string' || value.length > 40 || !/^\d{4}-\d{2}-\d{2}([Tt ][\d:.]+([Zz]|[+-]\d{2}:?\d{2})?)?$/.test(value)) return false;
          const time = Date.parse(value);
          if (Number.isNaN(time)) return false;
          const year = new Date(time).getUTCFullYear();
          return year >= 1 && year <= 9999;
        },
        defaultMessage: () => `${String(key)} must be an ISO 8601 timestamp such as 2025-06-01T00:00:00Z`,
      },
    })(target, key);
  };
}

export const toBoolean = ({ value }: { value: unknown }): unknown => (value === 'true' ? true : value === 'false' ? false : value);
const toList = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? [value] : value);

/** Parameters every unified list and get shares. */
export class UnifiedReadParams {
  @ApiProperty({ format: 'uuid', description: 'The integrated account to read', example: '0b6f3c57-5d55-4a1e-9c43-2f0d7b1de0a1' })
  @IsUUID('all', { message: 'integrated_account_id must be a UUID' })
  integrated_account_id!: string;

  @ApiPropertyOptional({ description: 'Leave out `remote_data` (the KnowBe4 record)', type: Boolean, example: true })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'truto_ignore_remote_data must be true or false' })
  truto_ignore_remote_data?: boolean;

  @ApiPropertyOptional({ name: 'truto_exclude_fields[]', type: [String], description: 'Top-level fields to leave out of each record', example: ['phones'] })
  @IsOptional()
  @Transform(toList)
  @ArrayMaxSize(50)
  @Matches(FIELD_NAME, { each: true, message: 'truto_exclude_fields[] entries must be field names' })
  'truto_exclude_fields[]'?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Same as truto_exclude_fields[]' })
  @IsOptional()
  @Transform(toList)
  @ArrayMaxSize(50)
  @Matches(FIELD_NAME, { each: true, message: 'truto_exclude_fields entries must be field names' })
  truto_exclude_fields?: string[];
}

/** Paging and time filters of every unified list. */
export class UnifiedListParams extends UnifiedReadParams {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50, description: 'Records per page' })
  @PageLimit(500, { message: 'limit must be a whole number from 1 to 500' })
  limit?: number;

  @ApiPropertyOptional({ description: 'The `next_cursor` (or `prev_cursor`) of the previous answer; opaque, bound to this query' })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  next_cursor?: string;

  @ApiPropertyOptional({ name: 'updated_at[gte]', format: 'date-time', description: 'Changed at or after this time (ISO 8601)', example: '2025-06-01T00:00:00Z' })
  @IsOptional()
  @IsTimestamp()
  'updated_at[gte]'?: string;

  @ApiPropertyOptional({ name: 'updated_at[gt]', format: 'date-time', description: 'Changed after this time (ISO 8601)', example: '2026-11-28T00:00:00Z' })
  @IsOptional()
  @IsTimestamp()
  'updated_at[gt]'?: string;

  @ApiPropertyOptional({ name: 'updated_at[lt]', format: 'date-time', description: 'Changed before this time (ISO 8601)', example: '2026-11-28T00:00:00Z' })
  @IsOptional()
  @IsTimestamp()
  'updated_at[lt]'?: string;

  @ApiPropertyOptional({ name: 'updated_at[lte]', format: 'date-time', description: 'Changed at or before this time (ISO 8601)', example: '2026-11-28T00:00:00Z' })
  @IsOptional()
  @IsTimestamp()
  'updated_at[lte]'?: string;
}

export class ListUsersQuery extends UnifiedListParams {
  @ApiPropertyOptional({ enum: ['active', 'inactive'], description: 'inactive = archived in KnowBe4' })
  @IsOptional()
  @IsIn(['active', 'inactive'])
  status?: 'active' | 'inactive';

  @ApiPropertyOptional({ description: 'Primary email, case-insensitive', example: 'ada.lovelace@example.com' })
  @IsOptional()
  @IsFilterText()
  email?: string;

  @ApiPropertyOptional({ description: 'KnowBe4 employee_number, exact (leading zeros count)', example: '000042' })
  @IsOptional()
  @IsFilterText(255)
  external_id?: string;

  @ApiPropertyOptional({ description: 'First name, exact match (case-sensitive)', example: 'Ada' })
  @IsOptional()
  @IsFilterText(200)
  first_name?: string;

  @ApiPropertyOptional({ description: 'Last name, exact match (case-sensitive)', example: 'Lovelace' })
  @IsOptional()
  @IsFilterText(200)
  last_name?: string;

  @ApiPropertyOptional({ description: 'Department, exact match (case-sensitive)', example: 'Engineering' })
  @IsOptional()
  @IsFilterText(200)
  department?: string;

  @ApiPropertyOptional({ description: 'Members of this group (unified or SCIM id)', example: '41' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'group_id must be a group id' })
  group_id?: string;

  @ApiPropertyOptional({ enum: sortOptions(USER_SORT_FIELDS), description: 'Default: mirror order (stable). A leading "-" sorts descending.' })
  @IsOptional()
  @IsIn(sortOptions(USER_SORT_FIELDS))
  sort_by?: string;

  @IsExpand()
  expand?: string;
}

export class ListGroupsQuery extends UnifiedListParams {
  @ApiPropertyOptional({ description: 'Group name, exact match (case-sensitive)', example: 'Engineering' })
  @IsOptional()
  @IsFilterText(200)
  name?: string;

  @ApiPropertyOptional({ enum: sortOptions(GROUP_SORT_FIELDS), description: 'Default: mirror order (stable). A leading "-" sorts descending.' })
  @IsOptional()
  @IsIn(sortOptions(GROUP_SORT_FIELDS))
  sort_by?: string;
}

export class ListGroupMembersQuery extends UnifiedListParams {
  @ApiPropertyOptional({ enum: ['active', 'inactive'], description: 'inactive = archived in KnowBe4' })
  @IsOptional()
  @IsIn(['active', 'inactive'])
  status?: 'active' | 'inactive';

  @ApiPropertyOptional({ enum: sortOptions(USER_SORT_FIELDS), description: 'Default: mirror order (stable). A leading "-" sorts descending.' })
  @IsOptional()
  @IsIn(sortOptions(USER_SORT_FIELDS))
  sort_by?: string;
}

export class ListUserGroupsQuery extends UnifiedListParams {
  @ApiPropertyOptional({ enum: sortOptions(GROUP_SORT_FIELDS), description: 'Default: mirror order (stable). A leading "-" sorts descending.' })
  @IsOptional()
  @IsIn(sortOptions(GROUP_SORT_FIELDS))
  sort_by?: string;
}

export class GetUserQuery extends UnifiedReadParams {
  @ApiPropertyOptional({ description: 'Read through to the KnowBe4 Reporting API instead of the mirror', type: Boolean })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'fresh must be true or false' })
  fresh?: boolean;

  @IsExpand()
  expand?: string;
}

/** The identity graph joined to user reads: a comma list of `risk`, `training`, `phishing`. */
export const USER_EXPANSIONS = ['risk', 'training', 'phishing'] as const;
export type UserExpansion = (typeof USER_EXPANSIONS)[number];

function IsExpand(): PropertyDecorator {
  return (target, key) => {
    ApiPropertyOptional({
      description:
        'Join the identity graph to each user, one batched query per expanded resource per page: `risk` (current risk score and phish-prone percentage, newest synced risk-history point), `training` (enrollment counts: assigned, not_started, in_progress, passed, past_due), `phishing` (the newest security test the user was sent and its result)',
      example: 'risk,training,phishing',
    })(target, key);
    IsOptional()(target, key);
    Matches(/^(risk|training|phishing)(,(risk|training|phishing)){0,2}$/, { message: 'expand must be a comma list of risk, training, phishing' })(target, key);
  };
}

/** The distinct expansions an `expand` parameter asks for, in a fixed order. */
export function expansionsOf(expand: string | undefined): UserExpansion[] {
  if (!expand) return [];
  const asked = new Set(expand.split(','));
  return USER_EXPANSIONS.filter((e) => asked.has(e));
}

export class GetGroupQuery extends UnifiedReadParams {}

/** Unknown id shapes are a 404, never a database error. */
export const RECORD_ID = /^[A-Za-z0-9_-]{1,64}$/;
