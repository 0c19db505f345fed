import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PageOf } from '../http/page.dto';

const OPERATION_ID = '3f2b8c1e-6a4d-4f0e-9b7a-5c1d2e3f4a5b';
const ACCOUNT_ID = '0b6f3c57-5d55-4a1e-9c43-2f0d7b1de0a1';

class OperationRequestDto {
  @ApiProperty({ enum: ['POST', 'PATCH', 'DELETE'], example: 'POST' }) method!: string;
  @ApiProperty({ example: '/unified/user-directory/users' }) path!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: 'The body as received', example: { username: 'ada.lovelace@example.com', first_name: 'Ada' } })
  body!: Record<string, unknown> | null;
}

class OperationErrorDto {
  @ApiProperty({ example: 'remote_error', description: 'What kind of failure: remote_error, scim_uniqueness, validation_error, group_membership_failed, internal_error, …' })
  code!: string;
  @ApiProperty({ example: 'KnowBe4 SCIM answered 503' }) message!: string;
  @ApiProperty({ example: true, description: 'Whether another attempt may succeed (429, 5xx, network); the provisioner retries those a bounded number of times' })
  retryable!: boolean;
  @ApiPropertyOptional({ type: 'integer', nullable: true, example: 503, description: 'KnowBe4\'s HTTP status, when it answered' }) status?: number | null;
  @ApiPropertyOptional({ example: true, description: 'Set when KnowBe4 answered the failure' }) truto_is_remote_error?: boolean;
  @ApiPropertyOptional({ enum: ['remote_error', 'rate_limit_error', 'auth_error', 'not_found_error', 'conflict_error', 'validation_error'], example: 'remote_error' })
  truto_error_insight?: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'KnowBe4\'s status, body (secrets removed) and request id',
    example: { status: 503, body: { detail: 'Service Unavailable' }, request_id: null },
  })
  raw_response?: Record<string, unknown>;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'What was already written when a step failed, e.g. for group_membership_failed: user_scim_id, groups_joined, groups_failed',
    example: { user_scim_id: '9d0c7a1e-2b3f-4c5d-8e9f-a0b1c2d3e4f5', groups_joined: ['41'], groups_failed: ['42'] },
  })
  details?: Record<string, unknown>;
}

/** OperationView for OpenAPI: one unified write, applied asynchronously over SCIM. */
export class OperationDto {
  @ApiProperty({ format: 'uuid', example: OPERATION_ID }) id!: string;
  @ApiProperty({ format: 'uuid', example: ACCOUNT_ID }) integrated_account_id!: string;
  @ApiProperty({ enum: ['user.create', 'user.update', 'user.archive', 'group.create', 'group.update', 'group.delete', 'group.add_members', 'group.remove_member'], example: 'user.create' })
  type!: string;
  @ApiProperty({ enum: ['queued', 'running', 'succeeded', 'failed'], example: 'succeeded', description: '`failed` is final until POST /operations/{id}/retry' }) status!: string;
  @ApiProperty({ type: 'integer', minimum: 0, example: 1, description: 'SCIM write attempts so far' }) attempts!: number;
  @ApiProperty({ type: OperationRequestDto, description: 'The request as received' }) request!: OperationRequestDto;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'What KnowBe4 SCIM answered: action (user_created, user_adopted, …), scim_id, …; null until it succeeded',
    example: { action: 'user_created', scim_id: '9d0c7a1e-2b3f-4c5d-8e9f-a0b1c2d3e4f5' },
  })
  scim_response!: Record<string, unknown> | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'The unified user (as UnifiedUserDto) or group (as UnifiedGroupDto) after the write; null until it succeeded, and for an archive or delete',
    example: { id: '9d0c7a1e-2b3f-4c5d-8e9f-a0b1c2d3e4f5', username: 'ada.lovelace@example.com', first_name: 'Ada', last_name: 'Lovelace', status: 'active' },
  })
  result!: Record<string, unknown> | null;
  @ApiProperty({ type: OperationErrorDto, nullable: true, description: 'Why it failed; null unless status is failed' }) error!: OperationErrorDto | null;
  @ApiProperty({ format: 'date-time', example: '2026-11-28T09:15:02.114Z' }) created_at!: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-28T09:15:02.871Z' }) updated_at!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-11-28T09:15:02.871Z' }) finished_at!: string | null;
}

export class OperationListDto extends PageOf(OperationDto) {}
