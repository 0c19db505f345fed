// class-transformer's @Type reads design:type metadata, which needs the Reflect polyfill loaded first.
import 'reflect-metadata';
import type {
  UnifiedCustomFields,
  UnifiedEmail,
  UnifiedManager,
  UnifiedOrganizationRef,
  UnifiedPhone,
  UnifiedUserWrite,
} from '../unified/unified-records';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsEmail, IsIn, IsISO8601, IsNotEmpty, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';

/**
 * Lengths and counts every unified write keeps to. KnowBe4 publishes no field lengths, so these are ours: emails as
 * RFC 5321 allows (254), names and other text 255, and small caps on lists. The gateway documents them in
 * openapi.json; the provisioner validates commands with the same DTOs.
 */
export const WRITE_FIELD_LIMITS = {
  email: 254,
  text: 255,
  phoneNumber: 64,
  phoneExtension: 16,
  language: 35,
  date: 32,
  userId: 64,
  emails: 10,
  phones: 10,
  organizations: 10,
  languages: 20,
  groupMembers: 500,
  /** Groups a user create may join (`groups: [{id}]`); each is one SCIM PATCH. */
  userGroups: 50,
  groupId: 64,
} as const;
const L = WRITE_FIELD_LIMITS;

export class EmailDto implements UnifiedEmail {
  @IsEmail()
  @MaxLength(L.email)
  email!: string;

  // Truto's unified email has no required type: an entry without one is the work (login) email
  @IsIn(['work', 'alias'])
  type: UnifiedEmail['type'] = 'work';

  @IsBoolean()
  is_primary!: boolean;
}

export class PhoneDto implements UnifiedPhone {
  @IsString()
  @IsNotEmpty()
  @MaxLength(L.phoneNumber)
  number!: string;

  @IsOptional()
  @IsString()
  @MaxLength(L.phoneExtension)
  extension!: string | null;

  @IsIn(['work', 'mobile'])
  type!: UnifiedPhone['type'];
}

export class OrganizationDto implements UnifiedOrganizationRef {
  @IsString()
  @IsNotEmpty()
  @MaxLength(L.text)
  name!: string;
}

export class ManagerDto implements UnifiedManager {
  @IsOptional()
  @IsString()
  @MaxLength(L.text)
  name!: string | null;

  @IsOptional()
  @IsEmail()
  @MaxLength(L.email)
  email!: string | null;
}

/**
 * KnowBe4's custom dates: SCIM types them dateTime and answers 400 invalidValue to anything else, so a calendar date
 * (YYYY-MM-DD) or an xsd:dateTime is checked here, where the caller still gets a 400 naming the field, instead of an
 * operation that fails later. `strict` also refuses dates that do not exist (2026-02-30).
 */
const CALENDAR_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$/;
const DATE_MESSAGE = '$property must be a calendar date (YYYY-MM-DD) or an ISO 8601 date-time';

export class CustomFieldsDto implements UnifiedCustomFields {
  @IsOptional() @IsString() @MaxLength(L.text) custom_field_1?: string | null;
  @IsOptional() @IsString() @MaxLength(L.text) custom_field_2?: string | null;
  @IsOptional() @IsString() @MaxLength(L.text) custom_field_3?: string | null;
  @IsOptional() @IsString() @MaxLength(L.text) custom_field_4?: string | null;
  @IsOptional() @IsString() @MaxLength(L.date) @Matches(CALENDAR_DATE, { message: DATE_MESSAGE }) @IsISO8601({ strict: true }, { message: DATE_MESSAGE })
  custom_date_1?: string | null;
  @IsOptional() @IsString() @MaxLength(L.date) @Matches(CALENDAR_DATE, { message: DATE_MESSAGE }) @IsISO8601({ strict: true }, { message: DATE_MESSAGE })
  custom_date_2?: string | null;
}

/**
 * The unified write carried inside a provisioning command (UnifiedUserWrite). `null` clears.
 * `employee_start_date` and phone extensions are absent on purpose: KnowBe4 SCIM cannot write them.
 */
export class UserWriteDto implements UnifiedUserWrite {
  @IsOptional()
  @IsEmail()
  @MaxLength(L.email)
  username?: string | null;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(L.emails)
  @ValidateNested({ each: true })
  @Type(() => EmailDto)
  emails?: EmailDto[];

  @IsOptional() @IsString() @MaxLength(L.text) first_name?: string | null;
  @IsOptional() @IsString() @MaxLength(L.text) last_name?: string | null;
  @IsOptional() @IsString() @MaxLength(L.text) title?: string | null;

  @IsOptional()
  @IsIn(['active', 'inactive'])
  status?: 'active' | 'inactive';

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(L.phones)
  @ValidateNested({ each: true })
  @Type(() => PhoneDto)
  phones?: PhoneDto[];

  @IsOptional() @IsString() @MaxLength(L.text) location?: string | null;
  @IsOptional() @IsString() @MaxLength(L.text) department?: string | null;
  @IsOptional() @IsString() @MaxLength(L.text) division?: string | null;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(L.organizations)
  @ValidateNested({ each: true })
  @Type(() => OrganizationDto)
  organizations?: OrganizationDto[];

  @IsOptional()
  @ValidateNested()
  @Type(() => ManagerDto)
  manager?: ManagerDto | null;

  /** employee_number; a string so leading zeros survive. */
  @IsOptional() @IsString() @MaxLength(L.text) external_id?: string | null;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(L.languages)
  @IsString({ each: true })
  @MaxLength(L.language, { each: true })
  languages?: string[];

  @IsOptional()
  @ValidateNested()
  @Type(() => CustomFieldsDto)
  custom_fields?: CustomFieldsDto;
}

/** `groups[]` of a user create (Truto's `groups: [{id}]`): a group by unified (Reporting) or SCIM id. */
export class GroupRefWriteDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(L.groupId)
  id!: string;
}
