import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { UserLastPhishingDto, UserRiskDto, UserTrainingSummaryDto } from '../identity-graph/user-expansion.dto';

class EmailDto {
  @ApiProperty({ format: 'email', example: 'ada.lovelace@example.com' }) email!: string;
  @ApiProperty({ enum: ['work', 'alias'], example: 'work' }) type!: string;
  @ApiProperty({ example: true }) is_primary!: boolean;
}

class PhoneDto {
  @ApiProperty({ example: '+44 20 7946 0018' }) number!: string;
  @ApiProperty({ nullable: true, type: String, example: null }) extension!: string | null;
  @ApiProperty({ enum: ['work', 'mobile'], example: 'work' }) type!: string;
}

class GroupRefDto {
  @ApiProperty({ example: '41' }) id!: string;
  @ApiProperty({ nullable: true, type: String, example: 'Engineering' }) name!: string | null;
}

class NameDto {
  @ApiProperty({ example: 'Analytical Engines Ltd' }) name!: string;
}

class ManagerDto {
  @ApiProperty({ nullable: true, type: String, example: 'Charles Babbage' }) name!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'email', example: 'charles.babbage@example.com' }) email!: string | null;
}

/** design.md "Unified user": Truto's User fields plus the documented KnowBe4 extensions. */
export class UnifiedUserDto {
  @ApiProperty({ example: '2147483690', description: 'KnowBe4 Reporting id; the SCIM id until a sync has seen a user created through SCIM' })
  id!: string;
  @ApiProperty({ nullable: true, type: String, example: '00042', description: 'employee_number' }) external_id!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'Ada' }) first_name!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'Lovelace' }) last_name!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'Ada Lovelace' }) name!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'email', example: 'ada.lovelace@example.com', description: 'Primary email: the KnowBe4 login' }) username!: string | null;
  @ApiProperty({ type: [EmailDto] }) emails!: EmailDto[];
  @ApiProperty({ type: [PhoneDto] }) phones!: PhoneDto[];
  @ApiProperty({ nullable: true, type: String, example: 'Analyst' }) title!: string | null;
  @ApiProperty({ enum: ['active', 'inactive'], example: 'active' }) status!: string;
  @ApiProperty({ type: [GroupRefDto] }) groups!: GroupRefDto[];
  @ApiProperty({ type: [NameDto] }) organizations!: NameDto[];
  @ApiProperty({ type: [String], example: ['en-GB'] }) languages!: string[];
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2025-03-04T09:30:00.000Z' }) created_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'When the mirror last saw a change', example: '2026-11-28T08:00:41.902Z' }) updated_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2026-11-27T16:45:12.000Z' }) last_active_at!: string | null;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'The KnowBe4 record as fetched (left out with truto_ignore_remote_data=true)',
    example: { id: 2147483690, email: 'ada.lovelace@example.com', status: 'active', employee_number: '00042' },
  })
  remote_data?: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: String, example: 'Engineering' }) department!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'R&D' }) division!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'London' }) location!: string | null;
  @ApiProperty({ nullable: true, type: ManagerDto }) manager!: ManagerDto | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2024-09-02T00:00:00.000Z' }) employee_start_date!: string | null;
  @ApiProperty({ nullable: true, type: Number, example: 12.5, description: 'A percentage' }) phish_prone_percentage!: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 31.4 }) current_risk_score!: number | null;
  @ApiPropertyOptional({ nullable: true, type: UserRiskDto, description: 'With expand=risk (null: a user no sync has seen yet)' }) risk?: UserRiskDto | null;
  @ApiPropertyOptional({ type: UserTrainingSummaryDto, description: 'With expand=training' }) training?: UserTrainingSummaryDto;
  @ApiPropertyOptional({ nullable: true, type: UserLastPhishingDto, description: 'With expand=phishing (null: never sent a security test the mirror holds)' }) phishing?: UserLastPhishingDto | null;
}

export class UnifiedGroupDto {
  @ApiProperty({ example: '41' }) id!: string;
  @ApiProperty({ example: 'Engineering' }) name!: string;
  @ApiProperty({ nullable: true, type: String, example: 'console_group' }) type!: string | null;
  @ApiProperty({ enum: ['active', 'inactive'], example: 'active' }) status!: string;
  @ApiProperty({ nullable: true, type: Number, example: 12 }) member_count!: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 22.1 }) current_risk_score!: number | null;
  @ApiProperty({ nullable: true, type: String, example: '8a3c2e1f-5b4d-4c6e-9f7a-1b2c3d4e5f60', description: 'KnowBe4\'s provisioning GUID (the SCIM externalId); null for groups not provisioned through SCIM' }) provisioning_guid!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2025-01-15T12:00:00.000Z' }) created_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2026-11-28T08:00:41.902Z' }) updated_at!: string | null;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'The KnowBe4 record as fetched (left out with truto_ignore_remote_data=true)',
    example: { id: 41, name: 'Engineering', group_type: 'console_group', member_count: 12, status: 'active' },
  })
  remote_data?: Record<string, unknown>;
}

export class ListEnvelope {
  @ApiProperty({ nullable: true, type: String, description: 'null on the last page, never absent', example: 'eyJ2IjoxLCJkIjoibiIsImsiOiI1MCIsInEiOiIuLi4ifQ.3q2-7w' })
  next_cursor!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'null on the first page', example: null })
  prev_cursor!: string | null;
  @ApiProperty({ type: 'integer', example: 50 })
  result_count!: number;
}

export class UnifiedUserListDto extends ListEnvelope {
  @ApiProperty({ type: [UnifiedUserDto] }) result!: UnifiedUserDto[];
}

export class UnifiedGroupListDto extends ListEnvelope {
  @ApiProperty({ type: [UnifiedGroupDto] }) result!: UnifiedGroupDto[];
}
