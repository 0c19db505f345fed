// class-transformer's @Type reads design:type metadata, which needs the Reflect polyfill loaded first.
import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsNotEmpty, IsOptional, IsString, MaxLength, ValidateNested, validateSync } from 'class-validator';
import { isEmailAddress, UserWriteDto, WRITE_FIELD_LIMITS, type UnifiedUserWrite } from '@kb4/contracts';
import { primaryEmailOf } from '@kb4/mapping';
import { findHostileValue } from '../http/hostile-input';
import { flattenValidationErrors } from '../http/validation';
import type { UploadedRosterRow } from './roster-upload';

/** A row that passed: the write body, the keys it is matched and checked by, and the groups it names. */
export interface ValidRosterRow {
  line: number;
  emailLower: string;
  employeeNumber: string | null;
  user: UnifiedUserWrite;
  groups: string[];
  /** The row sends custom fields: the mirror lookup reads what is known of the user's. */
  customFields: boolean;
}

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

const L = WRITE_FIELD_LIMITS;
const FLAT_TEXT_FIELDS = new Set(['first_name', 'last_name', 'title', 'location', 'department', 'division', 'external_id']);

function validGroups(value: unknown): boolean {
  if (!Array.isArray(value) || value.length > L.userGroups) return false;
  return value.every((group: unknown) => {
    if (group === null || typeof group !== 'object') return false;
    const keys = Object.keys(group);
    const name = (group as { name?: unknown }).name;
    return keys.length === 1 && typeof name === 'string' && name !== '' && name.length <= L.text;
  });
}

/**
 * The common row (a CSV export: the email and flat text fields, group names) passes the DTO's own rules for those
 * fields — IsEmail and MaxLength(254) on username, IsString and MaxLength(255) on text — without class-validator's
 * per-row cost; anything else, or any doubt, goes through the DTO (which then names the problem).
 */
function passesFlatRules(value: Record<string, unknown>): boolean {
  for (const [field, item] of Object.entries(value)) {
    if (field === 'username') {
      if (!(typeof item === 'string' && item.length <= L.email && isEmailAddress(item))) return false;
    } else if (field === 'groups') {
      if (!validGroups(item)) return false;
    } else if (!FLAT_TEXT_FIELDS.has(field) || !(item === null || (typeof item === 'string' && item.length <= L.text))) {
      return false;
    }
  }
  return true;
}

function dtoProblems(value: Record<string, unknown>): Array<{ field: string; errors: string[]; unknown: boolean }> {
  if (passesFlatRules(value)) return [];
  const dto = plainToInstance(RosterUserDto, value);
  return flattenValidationErrors(validateSync(dto, { whitelist: true, forbidNonWhitelisted: true, validationError: { target: false, value: false } }));
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
export function validateRosterRow(row: UploadedRosterRow): { staged?: ValidRosterRow; errors: RosterRowError[] } {
  const named = (problems: Array<{ field: string; reason: string }>): RosterRowError[] => problems.map((p) => ({ line: row.line, ...p }));
  if (!row.value) return { errors: named([row.error ?? { field: '(row)', reason: 'cannot be read' }]) };
  const hostile = findHostileValue(row.value);
  if (hostile) return { errors: named([{ field: hostile.field, reason: hostile.reason }]) };
  const invalid = dtoProblems(row.value);
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
      customFields: user.custom_fields !== undefined,
    },
    errors: [],
  };
}
