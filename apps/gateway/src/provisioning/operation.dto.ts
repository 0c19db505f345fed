import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** OperationView for OpenAPI. */
export class OperationDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) integrated_account_id!: string;
  @ApiProperty({ enum: ['user.create', 'user.update', 'user.archive', 'group.create', 'group.update', 'group.delete', 'group.add_members', 'group.remove_member'] }) type!: string;
  @ApiProperty({ enum: ['queued', 'running', 'succeeded', 'failed'] }) status!: string;
  @ApiProperty({ description: 'SCIM write attempts so far' }) attempts!: number;
  @ApiProperty({ description: 'The request as received: method, path, body' }) request!: Record<string, unknown>;
  @ApiPropertyOptional({ description: 'What KnowBe4 SCIM answered: action (user_created, user_adopted, …), scim_id, …', nullable: true })
  scim_response!: Record<string, unknown> | null;
  @ApiPropertyOptional({ description: 'The unified record after the write', nullable: true }) result!: Record<string, unknown> | null;
  @ApiPropertyOptional({ description: 'Why it failed: code, message, retryable, status, truto_error_insight, raw_response, attempts, and details of what was already written (e.g. `group_membership_failed`: user_scim_id, groups_joined, groups_failed)', nullable: true })
  error!: Record<string, unknown> | null;
  @ApiProperty() created_at!: string;
  @ApiProperty() updated_at!: string;
  @ApiPropertyOptional({ nullable: true }) finished_at!: string | null;
}

export class OperationListDto {
  @ApiProperty({ type: [OperationDto] }) result!: OperationDto[];
  @ApiProperty({ nullable: true, type: String }) next_cursor!: string | null;
  @ApiProperty() result_count!: number;
}
