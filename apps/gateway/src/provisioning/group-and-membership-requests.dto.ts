// class-transformer's @Type reads design:type metadata, which needs the Reflect polyfill loaded first.
import 'reflect-metadata';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Length, MaxLength, ValidateNested } from 'class-validator';
import { GroupRefWriteDto, WRITE_FIELD_LIMITS } from '@kb4/contracts';
import { UserWriteRequest } from './write-requests.dto';

const L = WRITE_FIELD_LIMITS;

class GroupRefWrite {
  @ApiProperty({ description: 'Unified (Reporting) or SCIM id of a console group', example: '3264', minLength: 1, maxLength: L.groupId })
  id!: string;
}

/**
 * POST /unified/user-directory/users: a user write plus the groups it joins (Truto's `groups: [{id}]`), applied as one
 * operation. `groups` is validated like `@kb4/contracts` CreateUserCommand.groups (same class, same limits).
 */
export class CreateUserRequest extends UserWriteRequest {
  @ApiPropertyOptional({
    type: [GroupRefWrite],
    maxItems: L.userGroups,
    description:
      `Groups the new user joins in the same operation (at most ${L.userGroups}; one SCIM Group PATCH each, after the user is written). ` +
      'By id only: names are not stable (a rename) and are not keys. A group this account\'s directory does not know is refused up front with 404, ' +
      'a smart group with 422 (KnowBe4 SCIM writes console groups only). If KnowBe4 then refuses a membership, the operation fails with ' +
      '`error.code` `group_membership_failed` and `error.details` listing the groups joined and the ones that failed; the user stays written, ' +
      'and a retry (POST /operations/{id}/retry) re-applies the whole create idempotently.',
    example: [{ id: '3264' }],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(L.userGroups)
  @ValidateNested({ each: true })
  @Type(() => GroupRefWriteDto)
  groups?: GroupRefWriteDto[];
}

/** PATCH /unified/user-directory/groups/{id}: Truto's group update (name, description). */
export class UpdateGroupRequest {
  @ApiPropertyOptional({ description: 'New name; KnowBe4 console group names are unique (409 when another group has it)', example: 'Finance EMEA', minLength: 1, maxLength: L.text })
  @IsOptional()
  @IsString()
  @Length(1, L.text)
  name?: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: L.text,
    description: 'KnowBe4 groups have no description (neither SCIM nor the Reporting API stores one): only null or "" is accepted (and changes nothing); any other value is refused with 400',
    example: null,
  })
  @IsOptional()
  @IsString()
  @MaxLength(L.text)
  description?: string | null;
}
