import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ListEnvelope } from '../directory/unified-records.dto';

/** Response shapes of the identity graph (libs/mapping graph/identity-graph.ts), for the OpenAPI document. */

const remoteData = (example: Record<string, unknown>) =>
  ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'The KnowBe4 record as fetched (left out with truto_ignore_remote_data=true)', example });

class GraphRefDto {
  @ApiProperty({ example: '16342' }) id!: string;
  @ApiProperty({ nullable: true, type: String, example: 'Corporate Employees' }) name!: string | null;
}

class EnrollmentUserDto {
  @ApiProperty({ example: '796742' }) id!: string;
  @ApiProperty({ nullable: true, type: String, format: 'email', example: 's_thomas@kb4-demo.com' }) email!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'Sarah' }) first_name!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'Thomas' }) last_name!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '123456', description: 'KnowBe4 sends it as an integer inside enrollments: leading zeros are lost' }) employee_number!: string | null;
}

export class TrainingEnrollmentDto {
  @ApiProperty({ example: '1425526' }) id!: string;
  @ApiProperty({ nullable: true, type: String, example: '796742', description: 'The unified user id' }) user_id!: string | null;
  @ApiProperty({ nullable: true, type: EnrollmentUserDto }) user!: EnrollmentUserDto | null;
  @ApiProperty({ nullable: true, type: String, example: 'Acceptable Use Policy' }) module_name!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'Uploaded Policy' }) content_type!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '4261' }) campaign_id!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'New Employee Policies' }) campaign_name!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '7' }) store_purchase_id!: string | null;
  @ApiProperty({ enum: ['not_started', 'in_progress', 'passed', 'past_due', 'other'], example: 'passed' }) status!: string;
  @ApiProperty({ nullable: true, type: String, example: 'Passed', description: "KnowBe4's own status text" }) remote_status!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2019-04-02T15:02:38.000Z' }) enrolled_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2019-04-02T15:02:38.000Z' }) started_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2019-04-02T15:40:38.000Z' }) completed_at!: string | null;
  @ApiProperty({ nullable: true, type: 'integer', example: 2340 }) time_spent_seconds!: number | null;
  @ApiProperty({ nullable: true, type: Boolean, example: false }) policy_acknowledged!: boolean | null;
  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-28T08:00:41.902Z', description: 'When the mirror last saw a change' }) updated_at!: string;
  @remoteData({ enrollment_id: 1425526, module_name: 'Acceptable Use Policy', status: 'Passed', campaign_id: 4261, store_purchase_id: 7 })
  remote_data?: Record<string, unknown>;
}

export class PhishingCampaignDto {
  @ApiProperty({ example: '242333' }) id!: string;
  @ApiProperty({ nullable: true, type: String, example: 'One Phish' }) name!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'Closed' }) status!: string | null;
  @ApiProperty({ nullable: true, type: Boolean, example: false }) hidden!: boolean | null;
  @ApiProperty({ nullable: true, type: String, example: 'One Time' }) frequency!: string | null;
  @ApiProperty({ type: [GraphRefDto] }) groups!: GraphRefDto[];
  @ApiProperty({ nullable: true, type: Number, example: 12.5, description: 'A percentage' }) last_phish_prone_percentage!: number | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2026-10-02T15:02:38.000Z' }) last_run_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2025-04-02T15:02:38.000Z' }) created_at!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '3 Business Days' }) send_duration!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '7 Days' }) track_duration!: string | null;
  @ApiProperty({ type: [Number], example: [1, 2, 3] }) difficulty_filter!: number[];
  @ApiProperty({ type: [String], example: ['16142'] }) security_test_ids!: string[];
  @ApiProperty({ nullable: true, type: 'integer', example: 1 }) security_test_count!: number | null;
  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-28T08:00:41.902Z' }) updated_at!: string;
  @remoteData({ campaign_id: 242333, name: 'One Phish', status: 'Closed', psts_count: 1 })
  remote_data?: Record<string, unknown>;
}

class SecurityTestCountsDto {
  @ApiProperty({ nullable: true, type: 'integer', example: 42 }) scheduled!: number | null;
  @ApiProperty({ nullable: true, type: 'integer', example: 40 }) delivered!: number | null;
  @ApiProperty({ nullable: true, type: 'integer', example: 24 }) opened!: number | null;
  @ApiProperty({ nullable: true, type: 'integer', example: 20 }) clicked!: number | null;
  @ApiProperty({ nullable: true, type: 'integer', example: 0 }) replied!: number | null;
  @ApiProperty({ nullable: true, type: 'integer', example: 3 }) attachment_opened!: number | null;
  @ApiProperty({ nullable: true, type: 'integer', example: 0 }) macro_enabled!: number | null;
  @ApiProperty({ nullable: true, type: 'integer', example: 0 }) data_entered!: number | null;
  @ApiProperty({ nullable: true, type: 'integer', example: 0 }) vulnerable_plugin!: number | null;
  @ApiProperty({ nullable: true, type: 'integer', example: 2 }) exploited!: number | null;
  @ApiProperty({ nullable: true, type: 'integer', example: 1 }) qr_code_scanned!: number | null;
  @ApiProperty({ nullable: true, type: 'integer', example: 5 }) reported!: number | null;
  @ApiProperty({ nullable: true, type: 'integer', example: 0 }) bounced!: number | null;
}

export class PhishingSecurityTestDto {
  @ApiProperty({ example: '16142' }) id!: string;
  @ApiProperty({ nullable: true, type: String, example: '242333' }) campaign_id!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'Corporate Test' }) name!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'Closed' }) status!: string | null;
  @ApiProperty({ type: [GraphRefDto] }) groups!: GraphRefDto[];
  @ApiProperty({ nullable: true, type: Number, example: 0.5, description: 'A fraction: 0.5 means half the recipients failed' }) phish_prone_rate!: number | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2026-10-02T15:02:38.000Z' }) started_at!: string | null;
  @ApiProperty({ nullable: true, type: 'integer', example: 1 }) duration_days!: number | null;
  @ApiProperty({ type: [GraphRefDto] }) categories!: GraphRefDto[];
  @ApiProperty({ nullable: true, type: GraphRefDto }) template!: GraphRefDto | null;
  @ApiProperty({ nullable: true, type: GraphRefDto }) landing_page!: GraphRefDto | null;
  @ApiProperty({ type: SecurityTestCountsDto }) counts!: SecurityTestCountsDto;
  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-28T08:00:41.902Z' }) updated_at!: string;
  @remoteData({ pst_id: 16142, campaign_id: 242333, status: 'Closed', exploited_count: 2, vulnerable_plugin_count: 0 })
  remote_data?: Record<string, unknown>;
}

class RecipientUserDto {
  @ApiProperty({ example: '264215' }) id!: string;
  @ApiProperty({ nullable: true, type: String, format: 'email', example: 'bob.r@kb4-demo.com' }) email!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'Bob' }) first_name!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'Ross' }) last_name!: string | null;
  @ApiProperty({ nullable: true, type: String, example: null }) provisioning_guid!: string | null;
}

export class PhishingRecipientDto {
  @ApiProperty({ example: '3077742' }) id!: string;
  @ApiProperty({ nullable: true, type: String, example: '16142' }) security_test_id!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '264215' }) user_id!: string | null;
  @ApiProperty({ nullable: true, type: RecipientUserDto }) user!: RecipientUserDto | null;
  @ApiProperty({ nullable: true, type: GraphRefDto }) template!: GraphRefDto | null;
  @ApiProperty({
    enum: ['failed', 'reported', 'no_action', 'bounced', 'not_delivered'],
    example: 'failed',
    description: 'failed: clicked, replied, opened an attachment, enabled macros, entered data or scanned the QR code',
  })
  result!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2026-10-02T15:02:38.000Z' }) scheduled_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2026-10-02T15:03:38.000Z' }) delivered_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2026-10-02T16:00:00.000Z' }) opened_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: null }) clicked_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: null }) replied_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: null }) attachment_opened_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: null }) macro_enabled_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: null }) data_entered_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2026-10-02T16:00:45.000Z', description: "KnowBe4's `qr_code_scanned`" }) qr_code_scanned_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: null }) reported_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: null }) bounced_at!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '203.0.113.7' }) ip!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'St.Petersburg, FL' }) ip_location!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'Chrome' }) browser!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '48.0' }) browser_version!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'MacOSX' }) os!: string | null;
  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-28T08:00:41.902Z' }) updated_at!: string;
  @remoteData({ recipient_id: 3077742, pst_id: 16142, qr_code_scanned: '2026-10-02T16:00:45.000Z' })
  remote_data?: Record<string, unknown>;
}

export class RiskScorePointDto {
  @ApiProperty({ type: String, format: 'date', example: '2026-11-01', description: 'The day (KnowBe4 sends both YYYY-MM-DD and a midnight datetime)' }) date!: string;
  @ApiProperty({ nullable: true, type: Number, example: 31.4 }) risk_score!: number | null;
  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-28T08:00:41.902Z' }) updated_at!: string;
}

export class TrainingEnrollmentListDto extends ListEnvelope {
  @ApiProperty({ type: [TrainingEnrollmentDto] }) result!: TrainingEnrollmentDto[];
}

export class PhishingCampaignListDto extends ListEnvelope {
  @ApiProperty({ type: [PhishingCampaignDto] }) result!: PhishingCampaignDto[];
}

export class PhishingSecurityTestListDto extends ListEnvelope {
  @ApiProperty({ type: [PhishingSecurityTestDto] }) result!: PhishingSecurityTestDto[];
}

export class PhishingRecipientListDto extends ListEnvelope {
  @ApiProperty({ type: [PhishingRecipientDto] }) result!: PhishingRecipientDto[];
}

export class RiskScoreHistoryListDto extends ListEnvelope {
  @ApiProperty({ type: [RiskScorePointDto], description: 'Newest day first' }) result!: RiskScorePointDto[];
}
