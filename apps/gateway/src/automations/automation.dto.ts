import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { RULE_ATTRIBUTES, RULE_OPERATORS, RULE_VALUE_MAX_LENGTH, type RuleAttribute, type RuleOperator } from '@kb4/mapping';
import { PageLimit } from '../http/page-limit';

export class NewHiresSettingsDto {
  @ApiProperty({ type: 'boolean', example: true, description: 'Users created or reactivated (API, roster, or seen by a sync) join the group at once' })
  @IsBoolean()
  enabled!: boolean;

  @ApiProperty({ type: 'string', example: 'New Hires', minLength: 1, maxLength: 200, description: 'The console group; created if missing' })
  @IsString()
  @Length(1, 200)
  group_name!: string;

  @ApiProperty({ type: 'integer', example: 30, minimum: 1, maximum: 3650, description: 'Days after which automations remove the user from the group again' })
  @IsInt()
  @Min(1)
  @Max(3650)
  remove_after_days!: number;
}

export class AutomationSettingsDto {
  @ApiProperty({ type: NewHiresSettingsDto })
  @ValidateNested()
  @Type(() => NewHiresSettingsDto)
  new_hires!: NewHiresSettingsDto;
}

export class RuleConditionDto {
  @ApiProperty({ enum: RULE_ATTRIBUTES, example: 'department', description: 'organization: any of the user\'s organizations; manager: the manager\'s email' })
  @IsIn(RULE_ATTRIBUTES)
  attribute!: RuleAttribute;

  @ApiProperty({ enum: RULE_OPERATORS, example: 'equals', description: 'Comparisons ignore case and surrounding spaces; regex: at most 200 characters, no backreferences, lookaround or nested repetition' })
  @IsIn(RULE_OPERATORS)
  operator!: RuleOperator;

  @ApiPropertyOptional({ type: 'string', example: 'Engineering', maxLength: RULE_VALUE_MAX_LENGTH, description: 'For equals, prefix and regex' })
  @IsOptional()
  @IsString()
  @Length(1, RULE_VALUE_MAX_LENGTH)
  value?: string;

  @ApiPropertyOptional({ type: 'array', items: { type: 'string' }, example: ['Engineering', 'R&D'], description: 'For in' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Length(1, RULE_VALUE_MAX_LENGTH, { each: true })
  values?: string[];
}

const TARGET_HELP = 'Exactly one of target_group_id (a group of the mirror) and target_group_name (created if missing)';

export class MappingRuleWriteDto {
  @ApiProperty({ type: 'string', example: 'Engineering phishing group', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiPropertyOptional({ enum: ['all', 'any'], default: 'all', example: 'all', description: 'all: every condition must match; any: one is enough' })
  @IsOptional()
  @IsIn(['all', 'any'])
  match?: 'all' | 'any';

  @ApiProperty({ type: [RuleConditionDto], minItems: 1, maxItems: 20 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => RuleConditionDto)
  conditions!: RuleConditionDto[];

  @ApiPropertyOptional({ type: 'string', nullable: true, example: null, description: `${TARGET_HELP}, e.g. "1048576"` })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  target_group_id?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, example: 'Phish: Engineering', description: TARGET_HELP })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  target_group_name?: string | null;

  @ApiPropertyOptional({
    enum: ['include', 'exclude'],
    default: 'include',
    example: 'include',
    description: 'include: matching users belong in the group; exclude: they must not be in it. An include and an exclude matching one user is a reported conflict',
  })
  @IsOptional()
  @IsIn(['include', 'exclude'])
  effect?: 'include' | 'exclude';

  @ApiPropertyOptional({ type: 'boolean', default: true, example: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ type: 'integer', example: 1, minimum: 0, maximum: 100000, description: 'Evaluation order; default: after the last rule' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100000)
  position?: number;
}

export class MappingRuleDto {
  @ApiProperty({ type: 'string', format: 'uuid', example: '9b2f6c1e-3d4a-4f5b-8c7d-1e2f3a4b5c6d' })
  id!: string;

  @ApiProperty({ type: 'string', example: 'Engineering phishing group' })
  name!: string;

  @ApiProperty({ type: 'integer', example: 1 })
  position!: number;

  @ApiProperty({ enum: ['all', 'any'], example: 'all' })
  match!: 'all' | 'any';

  @ApiProperty({ type: [RuleConditionDto] })
  conditions!: RuleConditionDto[];

  @ApiProperty({ type: 'string', nullable: true, example: null })
  target_group_id!: string | null;

  @ApiProperty({ type: 'string', nullable: true, example: 'Phish: Engineering' })
  target_group_name!: string | null;

  @ApiProperty({ enum: ['include', 'exclude'], example: 'include' })
  effect!: 'include' | 'exclude';

  @ApiProperty({ type: 'boolean', example: true })
  enabled!: boolean;

  @ApiProperty({ type: 'string', format: 'date-time', example: '2026-11-28T05:00:00.000Z' })
  created_at!: string;

  @ApiProperty({ type: 'string', format: 'date-time', example: '2026-11-28T05:00:00.000Z' })
  updated_at!: string;
}

export class MappingRuleListDto {
  @ApiProperty({ type: [MappingRuleDto], description: 'In evaluation order' })
  result!: MappingRuleDto[];

  @ApiProperty({ type: 'integer', example: 1 })
  result_count!: number;
}

export class MappingRulePreviewRequestDto {
  @ApiProperty({ type: [MappingRuleWriteDto], minItems: 1, maxItems: 100, description: 'Unsaved rules to try' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => MappingRuleWriteDto)
  rules!: MappingRuleWriteDto[];

  @ApiPropertyOptional({ type: 'boolean', default: true, example: true, description: 'true: the rules are added to the saved enabled rules; false: they replace them' })
  @IsOptional()
  @IsBoolean()
  with_saved_rules?: boolean;
}

export class PreviewGroupDto {
  @ApiProperty({ type: 'string', nullable: true, example: '1048576', description: 'null: a group that does not exist yet (created on save)' })
  group_id!: string | null;

  @ApiProperty({ type: 'string', example: 'Phish: Engineering' })
  group_name!: string;

  @ApiProperty({ type: 'integer', example: 12 })
  join_count!: number;

  @ApiProperty({ type: 'integer', example: 3 })
  leave_count!: number;

  @ApiProperty({ type: 'array', items: { type: 'string' }, example: ['1290322'], description: 'User ids, at most 100' })
  join!: string[];

  @ApiProperty({ type: 'array', items: { type: 'string' }, example: ['1290377'], description: 'User ids, at most 100' })
  leave!: string[];
}

export class MappingRulePreviewDto {
  @ApiProperty({ type: [PreviewGroupDto] })
  groups!: PreviewGroupDto[];

  @ApiProperty({ type: 'integer', example: 300, description: 'Active users of the mirror evaluated' })
  users_evaluated!: number;

  @ApiProperty({ type: 'integer', example: 0, description: 'Users an include and an exclude rule both match in one group (left alone, reported once saved)' })
  conflicts!: number;

  @ApiProperty({ type: 'boolean', example: false, description: 'true: the mirror has more users than a preview evaluates (50,000); counts cover those evaluated' })
  truncated!: boolean;
}

export class AutomationConflictDto {
  @ApiProperty({ type: 'string', format: 'uuid', example: '5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d' })
  id!: string;

  @ApiProperty({ enum: ['rule_conflict', 'flapping'], example: 'rule_conflict', description: 'rule_conflict: an include and an exclude rule match the user; flapping: the membership kept being undone (e.g. in the console) and automations stopped changing it' })
  kind!: 'rule_conflict' | 'flapping';

  @ApiProperty({ type: 'string', example: '1290322' })
  user_id!: string;

  @ApiProperty({ type: 'string', example: 'Phish: Engineering' })
  group_name!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { include_rule_ids: ['9b2f6c1e-3d4a-4f5b-8c7d-1e2f3a4b5c6d'], exclude_rule_ids: ['1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d'] } })
  details!: Record<string, unknown>;

  @ApiProperty({ type: 'integer', example: 2 })
  occurrences!: number;

  @ApiProperty({ type: 'string', format: 'date-time', example: '2026-11-28T05:00:00.000Z' })
  first_seen_at!: string;

  @ApiProperty({ type: 'string', format: 'date-time', example: '2026-11-28T05:10:00.000Z' })
  last_seen_at!: string;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true, example: null, description: 'Set by POST …/resolve; a rule conflict also resolves itself once the rules no longer fight' })
  resolved_at!: string | null;
}

export class AutomationConflictListDto {
  @ApiProperty({ type: [AutomationConflictDto] })
  result!: AutomationConflictDto[];

  @ApiProperty({ type: 'string', nullable: true, example: null })
  next_cursor!: string | null;

  @ApiProperty({ type: 'integer', example: 1 })
  result_count!: number;
}

export class ConflictListQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 50, example: 50, description: 'Conflicts per page' })
  @PageLimit(100)
  limit?: number;

  @ApiPropertyOptional({ type: 'string', description: 'The next_cursor of the previous page' })
  @IsOptional()
  @IsString()
  @Length(1, 512)
  next_cursor?: string;
}

/** PATCH: any subset of a rule's fields. */
export class UpdateMappingRuleDto extends PartialType(MappingRuleWriteDto) {}
