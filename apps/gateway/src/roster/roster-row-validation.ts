// class-transformer's @Type reads design:type metadata, which needs the Reflect polyfill loaded first.
import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsNotEmpty, IsOptional, IsString, MaxLength, ValidateNested, validateSync } from 'class-validator';
import { UserWriteDto, WRITE_FIELD_LIMITS, type UnifiedUserWrite } from '@kb4/contracts';
import { primaryEmailOf } from '@kb4/mapping';
import type { StagedRosterRow } from '@kb4/persistence';
import { findHostileValue } from '../http/hostile-input';
import { flattenValidationErrors } from '../http/validation';
import type { UploadedRosterRow } from './roster-upload';

/** A bad row, named: `line` as the upload counts it, the field, and why. */
export interface RosterRowError {
  line: number;
  field: string;
  reason: string;
}

export class RosterGroupName {
  @IsString()
  @IsNotEmpty()
  @MaxLength(WRITE_FIELD_LIMITS.text)
  name!: string;
}

/** A roster row: the unified user write body plus the groups (by name) the person should be in. */
export class RosterUserDto extends UserWriteDto {
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(WRITE_FIELD_LIMITS.userGroups)
  @ValidateNested({ each: true })
  @Type(() => RosterGroupName)
  groups?: RosterGroupName[];
}

/** What KnowBe4 cannot store or a roster cannot mean, beyond the DTO's own checks. */
function rosterRules(value: Record<string, unknown>, user: UnifiedUserWrite): Array<{ field: string; reason: string }> {
  const problems: Array<{ field: string; reason: string }> = [];
  if ('status' in value) problems.push({ field: 'status', reason: 'is decided by the roster: people listed are active, people left out are archived' });
  if (!primaryEmailOf(user)) problems.push({ field: 'username', reason: 'is required: the primary email is the KnowBe4 login' });
  user.emails?.forEach((email, index) => {
    if (email.type === 'alias') problems.push({ field: `emails.${index}.type`, reason: 'alias emails cannot be stored: KnowBe4 SCIM strips them' });
  });
  user.phones?.forEach((phone, index) => {
    if (phone.extension) problems.push({ field: `phones.${index}.extension`, reason: 'phone extensions cannot be stored: KnowBe4 SCIM has no attribute for them' });
  });
  return problems;
}

/**
 * One uploaded row checked like a unified user write (the same DTO and WRITE_FIELD_LIMITS, the body middleware's
 * string checks) plus the roster's own rules; every problem of the row is reported, none stops the others.
 */
export function validateRosterRow(row: UploadedRosterRow): { staged?: StagedRosterRow; errors: RosterRowError[] } {
  const named = (problems: Array<{ field: string; reason: string }>): RosterRowError[] => problems.map((p) => ({ line: row.line, ...p }));
  if (!row.value) return { errors: named([row.error ?? { field: '(row)', reason: 'cannot be read' }]) };
  const hostile = findHostileValue(row.value);
  if (hostile) return { errors: named([{ field: hostile.field, reason: hostile.reason }]) };
  const dto = plainToInstance(RosterUserDto, row.value);
  const invalid = flattenValidationErrors(validateSync(dto, { whitelist: true, forbidNonWhitelisted: true, validationError: { target: false, value: false } }));
  const { groups, ...user } = row.value as UnifiedUserWrite & { groups?: Array<{ name: string }> };
  const problems = [
    ...invalid.map((p) => ({ field: p.field, reason: p.unknown ? 'is not a field of a unified user write' : p.errors.join('; ') })),
    ...(invalid.length === 0 ? rosterRules(row.value, user) : []),
  ];
  if (problems.length > 0) return { errors: named(problems) };
  // matched as KnowBe4 stores it (no trimming); a blank one matches nobody
  const externalId = typeof user.external_id === 'string' && user.external_id.trim() !== '' ? user.external_id : null;
  return {
    staged: {
      line: row.line,
      emailLower: primaryEmailOf(user)!.toLowerCase(),
      employeeNumber: externalId,
      user: user,
      groups: [...new Set((groups ?? []).map((group) => group.name.trim()))],
    },
    errors: [],
  };
}
