import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { IsFilterText, UnifiedListParams } from '../directory/directory-query.dto';

const KNOWBE4_ID = /^[0-9]{1,18}$/;

/** Who a record is about: the unified user id (or SCIM id), the primary email, or the employee number — one of them. */
export class UserLookupParams extends UnifiedListParams {
  @ApiPropertyOptional({ description: 'The user: unified (Reporting) id or SCIM id', example: '796742' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'user_id must be a user id' })
  user_id?: string;

  @ApiPropertyOptional({ description: "The user's primary email, case-insensitive", example: 's_thomas@kb4-demo.com' })
  @IsOptional()
  @IsFilterText()
  email?: string;

  @ApiPropertyOptional({ description: "The user's KnowBe4 employee_number, exact (leading zeros count)", example: '00042' })
  @IsOptional()
  @IsFilterText(255)
  employee_number?: string;
}

export class ListTrainingEnrollmentsQuery extends UserLookupParams {
  @ApiPropertyOptional({ enum: ['not_started', 'in_progress', 'passed', 'past_due'], description: 'Unified status (passed includes KnowBe4\'s Completed)' })
  @IsOptional()
  @IsIn(['not_started', 'in_progress', 'passed', 'past_due'])
  status?: 'not_started' | 'in_progress' | 'passed' | 'past_due';

  @ApiPropertyOptional({ description: 'KnowBe4 training campaign id', example: '4261' })
  @IsOptional()
  @Matches(KNOWBE4_ID, { message: 'campaign_id must be a KnowBe4 id' })
  campaign_id?: string;
}

export class ListPhishingCampaignsQuery extends UnifiedListParams {}

export class ListPhishingSecurityTestsQuery extends UnifiedListParams {
  @ApiPropertyOptional({ description: 'KnowBe4 phishing campaign id', example: '242333' })
  @IsOptional()
  @Matches(KNOWBE4_ID, { message: 'campaign_id must be a KnowBe4 id' })
  campaign_id?: string;
}

export class ListPhishingRecipientsQuery extends UserLookupParams {
  @ApiPropertyOptional({
    enum: ['failed', 'reported', 'no_action', 'bounced', 'not_delivered'],
    description: 'How the test went for the recipient; failed: clicked, replied, opened an attachment, enabled macros, entered data or scanned the QR code',
  })
  @IsOptional()
  @IsIn(['failed', 'reported', 'no_action', 'bounced', 'not_delivered'])
  result?: string;
}

export class ListRiskScoreHistoryQuery extends UnifiedListParams {}

export const isKnowBe4Id = (value: string): boolean => KNOWBE4_ID.test(value);
