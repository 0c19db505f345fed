import { ApiProperty } from '@nestjs/swagger';

/** What `expand=risk,training,phishing` adds to a unified user (see user-expansions.ts). */

class LatestRiskPointDto {
  @ApiProperty({ type: String, format: 'date', example: '2026-11-01' }) date!: string;
  @ApiProperty({ nullable: true, type: Number, example: 30.2 }) risk_score!: number | null;
}

/** `expand=risk` */
export class UserRiskDto {
  @ApiProperty({ nullable: true, type: Number, example: 31.4, description: 'As the last sync read it' }) current_risk_score!: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 12.5, description: 'A percentage' }) phish_prone_percentage!: number | null;
  @ApiProperty({ nullable: true, type: LatestRiskPointDto, description: 'The newest point of the synced risk-score history (null until a slice read it)' })
  latest_history!: LatestRiskPointDto | null;
}

/** `expand=training` */
export class UserTrainingSummaryDto {
  @ApiProperty({ type: 'integer', example: 4, description: 'Every enrollment of the user' }) assigned!: number;
  @ApiProperty({ type: 'integer', example: 1 }) not_started!: number;
  @ApiProperty({ type: 'integer', example: 1 }) in_progress!: number;
  @ApiProperty({ type: 'integer', example: 1 }) passed!: number;
  @ApiProperty({ type: 'integer', example: 1 }) past_due!: number;
}

/** `expand=phishing`: the newest security test the user was sent. */
export class UserLastPhishingDto {
  @ApiProperty({ example: '16142' }) security_test_id!: string;
  @ApiProperty({ example: '3077742' }) recipient_id!: string;
  @ApiProperty({ enum: ['failed', 'reported', 'no_action', 'bounced', 'not_delivered'], example: 'reported' }) result!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2026-10-02T15:02:38.000Z' }) scheduled_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2026-10-02T15:03:38.000Z' }) delivered_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2026-10-02T16:00:00.000Z' }) opened_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: null }) clicked_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2026-10-02T16:01:00.000Z' }) reported_at!: string | null;
}
