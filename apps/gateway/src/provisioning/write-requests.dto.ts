// class-transformer's @Type (in @PageLimit) reads design:type metadata, which needs the Reflect polyfill loaded first.
import 'reflect-metadata';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  MaxLength,
} from 'class-validator';
import {
  CustomFieldsDto,
  EmailDto,
  GroupWriteDto,
  ManagerDto,
  OrganizationDto,
  PhoneDto,
  UserWriteDto,
  WRITE_FIELD_LIMITS,
} from '@kb4/contracts';
import { OPERATION_STATUSES } from '@kb4/persistence';
import { PageLimit } from '../http/page-limit';

/** `integrated_account_id`, required on every write (the account whose KnowBe4 tenant is written). */
export class WriteQuery {
  @ApiProperty({ format: 'uuid', description: 'The integrated account whose KnowBe4 tenant is written', example: '0b6f3c57-5d55-4a1e-9c43-2f0d7b1de0a1' })
  @IsUUID('all', { message: 'integrated_account_id must be a UUID' })
  integrated_account_id!: string;
}

const L = WRITE_FIELD_LIMITS;
const TEXT = { type: String, nullable: true, maxLength: L.text } as const;

// Schemas only: validation is the @kb4/contracts classes' (the same the provisioner checks commands with).
class EmailWrite {
  @ApiProperty({ maxLength: L.email, format: 'email', example: 'ada.lovelace@example.com' }) email!: string;
  @ApiPropertyOptional({
    enum: ['work', 'alias'],
    default: 'work',
    example: 'work',
    description: 'Optional (Truto\'s unified shape): an entry without a type is `work`. `alias` is refused with 400: KnowBe4 SCIM strips email aliases, so one could never be stored',
  })
  type?: string;
  @ApiProperty({ description: 'The primary entry is the KnowBe4 login (userName); other `work` entries are not stored by KnowBe4', example: true }) is_primary!: boolean;
}

class PhoneWrite {
  @ApiProperty({ minLength: 1, maxLength: L.phoneNumber, example: '+44 20 7946 0000' }) number!: string;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: L.phoneExtension, example: null, description: 'Must be null or empty: KnowBe4 SCIM has no attribute for extensions, so a value is refused with 400' }) extension?: string | null;
  @ApiProperty({ enum: ['work', 'mobile'], example: 'work' }) type!: string;
}

class OrganizationWrite {
  @ApiProperty({ minLength: 1, maxLength: L.text, example: 'Acme Ltd' }) name!: string;
}

class ManagerWrite {
  @ApiPropertyOptional({ ...TEXT, example: 'Charles Babbage' }) name?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, format: 'email', maxLength: L.email, example: 'charles.babbage@example.com' }) email?: string | null;
}

class CustomFieldsWrite {
  @ApiPropertyOptional({ ...TEXT, example: 'Cost centre 4711' }) custom_field_1?: string | null;
  @ApiPropertyOptional({ ...TEXT, example: 'Building B' }) custom_field_2?: string | null;
  @ApiPropertyOptional({ ...TEXT, example: null }) custom_field_3?: string | null;
  @ApiPropertyOptional({ ...TEXT, example: null }) custom_field_4?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: L.date, example: '2025-06-01' }) custom_date_1?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: L.date, example: null }) custom_date_2?: string | null;
}

/**
 * A unified user write (`@kb4/contracts` UserWriteDto): only fields KnowBe4 SCIM can store are known;
 * `employee_start_date`, `remote_data`, risk scores and other read-only fields are refused as unknown. `null` clears.
 * The properties are re-declared only to document them (and their limits) in openapi.json.
 */
export class UserWriteRequest extends UserWriteDto {
  @ApiPropertyOptional({ type: String, nullable: true, format: 'email', maxLength: L.email, description: 'Primary email (KnowBe4 userName)', example: 'ada.lovelace@example.com' })
  declare username?: string | null;
  @ApiPropertyOptional({ type: [EmailWrite], maxItems: L.emails })
  declare emails?: EmailDto[];
  @ApiPropertyOptional({ ...TEXT, example: 'Ada' })
  declare first_name?: string | null;
  @ApiPropertyOptional({ ...TEXT, example: 'Lovelace' })
  declare last_name?: string | null;
  @ApiPropertyOptional({ ...TEXT, example: 'Analyst' })
  declare title?: string | null;
  @ApiPropertyOptional({ enum: ['active', 'inactive'], example: 'active', description: '`inactive` archives the user in KnowBe4, `active` restores an archived one' })
  declare status?: 'active' | 'inactive';
  @ApiPropertyOptional({ type: [PhoneWrite], maxItems: L.phones })
  declare phones?: PhoneDto[];
  @ApiPropertyOptional({ ...TEXT, example: 'London' })
  declare location?: string | null;
  @ApiPropertyOptional({ ...TEXT, example: 'R&D' })
  declare department?: string | null;
  @ApiPropertyOptional({ ...TEXT, example: 'Research' })
  declare division?: string | null;
  @ApiPropertyOptional({ type: [OrganizationWrite], maxItems: L.organizations })
  declare organizations?: OrganizationDto[];
  @ApiPropertyOptional({ type: ManagerWrite, nullable: true })
  declare manager?: ManagerDto | null;
  @ApiPropertyOptional({ ...TEXT, description: 'KnowBe4 employee_number (a string, so leading zeros survive)', example: '000042' })
  declare external_id?: string | null;
  @ApiPropertyOptional({ type: [String], maxItems: L.languages, items: { type: 'string', maxLength: L.language }, example: ['en-GB'] })
  declare languages?: string[];
  @ApiPropertyOptional({ type: CustomFieldsWrite })
  declare custom_fields?: CustomFieldsDto;
}

/** POST /unified/user-directory/groups: a console group (smart groups cannot be created through SCIM). */
export class CreateGroupRequest extends GroupWriteDto {
  @ApiProperty({ example: 'Finance', minLength: 1, maxLength: L.text })
  @Length(1, L.text)
  declare name: string;

  @ApiPropertyOptional({ description: 'SCIM externalId: your own id for the group', example: 'grp-42', type: String, nullable: true, maxLength: L.text })
  declare external_id?: string | null;
}

export class AddGroupMembersRequest {
  @ApiProperty({
    description: 'Unified (Reporting) or SCIM user ids',
    example: ['2147483690'],
    minItems: 1,
    maxItems: L.groupMembers,
    items: { type: 'string', minLength: 1, maxLength: L.userId },
  })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(L.groupMembers)
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  @MaxLength(L.userId, { each: true })
  user_ids!: string[];
}

export { OPERATION_STATUSES };

export class ListOperationsQuery {
  @ApiPropertyOptional({ enum: OPERATION_STATUSES, description: '`failed` is the dead-letter view' })
  @IsOptional()
  @IsIn(OPERATION_STATUSES)
  status?: (typeof OPERATION_STATUSES)[number];

  @ApiPropertyOptional({ format: 'uuid', description: 'Only operations of this integrated account', example: '0b6f3c57-5d55-4a1e-9c43-2f0d7b1de0a1' })
  @IsOptional()
  @IsUUID('all', { message: 'integrated_account_id must be a UUID' })
  integrated_account_id?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50, description: 'Operations per page, newest first' })
  @PageLimit(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: 'next_cursor is not a cursor of this API' })
  next_cursor?: string;
}
