// class-transformer's @Type reads design:type metadata, which needs the Reflect polyfill loaded first.
import 'reflect-metadata';
import type {
  UnifiedCustomFields,
  UnifiedEmail,
  UnifiedManager,
  UnifiedOrganizationRef,
  UnifiedPhone,
  UnifiedUserWrite,
} from '@kb4/mapping';
import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsEmail, IsIn, IsNotEmpty, IsOptional, IsString, ValidateNested } from 'class-validator';

export class EmailDto implements UnifiedEmail {
  @IsEmail()
  email!: string;

  @IsIn(['work', 'alias'])
  type!: UnifiedEmail['type'];

  @IsBoolean()
  is_primary!: boolean;
}

export class PhoneDto implements UnifiedPhone {
  @IsString()
  @IsNotEmpty()
  number!: string;

  @IsOptional()
  @IsString()
  extension!: string | null;

  @IsIn(['work', 'mobile'])
  type!: UnifiedPhone['type'];
}

export class OrganizationDto implements UnifiedOrganizationRef {
  @IsString()
  @IsNotEmpty()
  name!: string;
}

export class ManagerDto implements UnifiedManager {
  @IsOptional()
  @IsString()
  name!: string | null;

  @IsOptional()
  @IsEmail()
  email!: string | null;
}

export class CustomFieldsDto implements UnifiedCustomFields {
  @IsOptional() @IsString() custom_field_1?: string | null;
  @IsOptional() @IsString() custom_field_2?: string | null;
  @IsOptional() @IsString() custom_field_3?: string | null;
  @IsOptional() @IsString() custom_field_4?: string | null;
  @IsOptional() @IsString() custom_date_1?: string | null;
  @IsOptional() @IsString() custom_date_2?: string | null;
}

/**
 * The unified write carried inside a provisioning command (`@kb4/mapping` UnifiedUserWrite). `null` clears.
 * `employee_start_date` and phone extensions are absent on purpose: KnowBe4 SCIM cannot write them.
 */
export class UserWriteDto implements UnifiedUserWrite {
  @IsOptional()
  @IsEmail()
  username?: string | null;

  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => EmailDto)
  emails?: EmailDto[];

  @IsOptional() @IsString() first_name?: string | null;
  @IsOptional() @IsString() last_name?: string | null;
  @IsOptional() @IsString() title?: string | null;

  @IsOptional()
  @IsIn(['active', 'inactive'])
  status?: 'active' | 'inactive';

  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => PhoneDto)
  phones?: PhoneDto[];

  @IsOptional() @IsString() location?: string | null;
  @IsOptional() @IsString() department?: string | null;
  @IsOptional() @IsString() division?: string | null;

  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => OrganizationDto)
  organizations?: OrganizationDto[];

  @IsOptional()
  @ValidateNested()
  @Type(() => ManagerDto)
  manager?: ManagerDto | null;

  /** employee_number; a string so leading zeros survive. */
  @IsOptional() @IsString() external_id?: string | null;

  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  languages?: string[];

  @IsOptional()
  @ValidateNested()
  @Type(() => CustomFieldsDto)
  custom_fields?: CustomFieldsDto;
}
