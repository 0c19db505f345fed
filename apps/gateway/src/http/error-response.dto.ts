import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** design.md's one error shape, for OpenAPI. */
export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request' })
  error!: string;

  @ApiProperty({ example: 'unknown query parameter(s): colour' })
  message!: string;

  @ApiPropertyOptional({
    description: 'Field-level problems for validation errors; upstream context otherwise',
    example: [{ field: 'limit', location: 'query', errors: ['limit must not be greater than 500'] }],
  })
  details?: unknown;

  @ApiProperty({ example: '5b0f8f0e-8c3a-4e65-9d53-8c4c3f1b2a77' })
  request_id!: string;

  @ApiPropertyOptional({ description: 'Present when the failure came from KnowBe4', example: true })
  truto_is_remote_error?: boolean;

  @ApiPropertyOptional({ description: 'Upstream status and body (secrets removed)', example: { status: 401, body: { message: 'Invalid Token' } } })
  raw_response?: { status: number; body: unknown };

  @ApiPropertyOptional({ enum: ['remote_error', 'rate_limit_error', 'auth_error', 'forbidden_error', 'not_found_error', 'conflict_error', 'invalid_request_error'] })
  truto_error_insight?: string;
}
