import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** design.md's one error shape, for OpenAPI. */
export class ErrorResponseDto {
  @ApiProperty({ type: 'integer', minimum: 400, maximum: 599, example: 400, description: 'The HTTP status, repeated' })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request', description: 'The HTTP reason phrase' })
  error!: string;

  @ApiProperty({ example: 'unknown query parameter(s): colour', description: 'What went wrong; a 4xx names the field' })
  message!: string;

  @ApiPropertyOptional({
    description: 'Field-level problems for validation errors (an array); upstream context otherwise (an object)',
    oneOf: [
      {
        type: 'array',
        items: {
          type: 'object',
          properties: { field: { type: 'string' }, location: { type: 'string', enum: ['query', 'param', 'body'] }, errors: { type: 'array', items: { type: 'string' } } },
          required: ['field', 'location', 'errors'],
        },
      },
      { type: 'object', additionalProperties: true },
    ],
    example: [{ field: 'limit', location: 'query', errors: ['limit must not be greater than 500'] }],
  })
  details?: unknown;

  @ApiProperty({
    example: '5b0f8f0e-8c3a-4e65-9d53-8c4c3f1b2a77',
    description: 'The x-request-id response header: the caller\'s own x-request-id when it is 8–128 of [A-Za-z0-9._-], a UUID otherwise',
  })
  request_id!: string;

  @ApiPropertyOptional({ description: 'Present when the failure came from KnowBe4', example: true })
  truto_is_remote_error?: boolean;

  @ApiPropertyOptional({
    description: 'Upstream status and body (secrets removed)',
    type: 'object',
    properties: { status: { type: 'integer', example: 401 }, body: { description: 'The upstream body (JSON or text)' } },
    example: { status: 401, body: { message: 'Invalid Token' } },
  })
  raw_response?: { status: number; body: unknown };

  @ApiPropertyOptional({
    example: 'auth_error',
    description: 'The kind of failure (Truto\'s insight): set for KnowBe4\'s, and for our own pacing (rate_limit_error)',
    enum: ['remote_error', 'rate_limit_error', 'auth_error', 'forbidden_error', 'not_found_error', 'conflict_error', 'invalid_request_error'],
  })
  truto_error_insight?: string;
}
