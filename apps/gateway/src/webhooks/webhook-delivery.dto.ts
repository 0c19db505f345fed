import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { WEBHOOK_EVENT_TYPES, WEBHOOK_RECORD_RESOURCES } from '@kb4/contracts';
import type { WebhookAttemptRow, WebhookDeliveryRow, WebhookDeliveryStatus } from '@kb4/persistence';
import { PageLimit } from '../http/page-limit';

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;

const EXAMPLE_CLOUD_EVENT = {
  specversion: '1.0',
  id: 'b4c1e8a0-5d0e-5d6f-9a35-2f1f0c6b1a11',
  source: '/integrated-accounts/0f8fad5b-d9cb-469f-a165-70867728950e',
  type: 'knowbe4.user.created',
  subject: 'users/1042',
  time: '2026-11-28T04:10:00.000Z',
  datacontenttype: 'application/json',
  data: { integrated_account_id: '0f8fad5b-d9cb-469f-a165-70867728950e', sync_run_id: '9b2d7c1e-3f4a-4b5c-8d6e-7f8091a2b3c4', remote_id: '1042', record: { id: '1042', username: 'ada@example.com' } },
};

/**
 * The JSON body of every webhook request (Standard Webhooks: `type`, `timestamp`, `data`). Headers: `webhook-id` (the
 * delivery id, the same on every retry: de-duplicate on it), `webhook-timestamp` (Unix seconds) and `webhook-signature`
 * (`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` with the webhook's secret).
 */
export class WebhookEventBodyDto {
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, example: 'record:created' })
  type!: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-28T04:10:00.000Z', description: 'When the event happened (the CloudEvent time)' })
  timestamp!: string;

  @ApiPropertyOptional({ enum: WEBHOOK_RECORD_RESOURCES, example: 'user', description: 'record:* only: what kind of record changed' })
  resource?: string;

  @ApiProperty({ format: 'uuid', example: '0f8fad5b-d9cb-469f-a165-70867728950e' })
  integrated_account_id!: string;

  @ApiProperty({
    description: 'The CloudEvent exactly as on Kafka (asyncapi.yaml describes each type and its data)',
    type: 'object',
    additionalProperties: true,
    example: EXAMPLE_CLOUD_EVENT,
  })
  data!: Record<string, unknown>;
}

export class WebhookAttemptDto {
  @ApiProperty({ format: 'date-time', example: '2026-11-28T04:10:01.000Z' })
  attempted_at!: string;

  @ApiProperty({ type: 'integer', example: 84 })
  duration_ms!: number;

  @ApiProperty({ type: 'integer', nullable: true, example: 500, description: 'null when no response came (timeout, refused address, connection error)' })
  response_status!: number | null;

  @ApiProperty({ type: 'string', nullable: true, example: 'internal error', description: 'The start of the response body (truncated)' })
  response_body!: string | null;

  @ApiProperty({ type: 'string', nullable: true, example: null, description: 'Why no response (or why it counts as failed)' })
  error!: string | null;
}

export class WebhookDeliveryDto {
  @ApiProperty({ format: 'uuid', example: '3d813cbb-47fb-42ca-a9dd-5a2a6f5b5a33', description: 'Also the webhook-id header' })
  id!: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, example: 'record:created' })
  event_type!: string;

  @ApiProperty({ example: 'b4c1e8a0-5d0e-5d6f-9a35-2f1f0c6b1a11', description: 'The CloudEvent id' })
  event_id!: string;

  @ApiProperty({ enum: WEBHOOK_DELIVERY_STATUSES, example: 'succeeded', description: 'pending (due or waiting for a retry), succeeded (a 2xx), failed (every retry failed: given up)' })
  status!: WebhookDeliveryStatus;

  @ApiProperty({ type: 'integer', example: 2 })
  attempt_count!: number;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true, example: null, description: 'When it is tried next (pending only)' })
  next_attempt_at!: string | null;

  @ApiProperty({ format: 'date-time', example: '2026-11-28T04:10:00.500Z' })
  created_at!: string;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true, example: '2026-11-28T04:10:06.000Z' })
  finished_at!: string | null;

  @ApiProperty({ type: [WebhookAttemptDto], description: 'The newest attempts (up to 20), oldest first' })
  attempts!: WebhookAttemptDto[];

  @ApiProperty({ type: WebhookEventBodyDto, description: 'The body that is sent' })
  payload!: WebhookEventBodyDto;
}

export class WebhookDeliveryListDto {
  @ApiProperty({ type: [WebhookDeliveryDto] })
  result!: WebhookDeliveryDto[];

  @ApiProperty({ type: 'string', nullable: true, example: null })
  next_cursor!: string | null;

  @ApiProperty({ example: 1 })
  result_count!: number;
}

export class WebhookDeliveryListQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20, description: 'Deliveries per page, newest first' })
  @PageLimit(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'The next_cursor of the previous page (opaque; keep limit and filters unchanged while paging)' })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  next_cursor?: string;

  @ApiPropertyOptional({ enum: WEBHOOK_DELIVERY_STATUSES, example: 'failed', description: 'Only deliveries in this state' })
  @IsOptional()
  @IsIn(WEBHOOK_DELIVERY_STATUSES)
  status?: WebhookDeliveryStatus;

  @ApiPropertyOptional({ enum: WEBHOOK_EVENT_TYPES, example: 'record:created', description: 'Only deliveries of this event' })
  @IsOptional()
  @IsIn(WEBHOOK_EVENT_TYPES)
  event_type?: string;
}

const toAttemptDto = (attempt: WebhookAttemptRow): WebhookAttemptDto => ({
  attempted_at: new Date(attempt.attempted_at).toISOString(),
  duration_ms: attempt.duration_ms,
  response_status: attempt.response_status,
  response_body: attempt.response_body,
  error: attempt.error,
});

export function toDeliveryDto(row: WebhookDeliveryRow): WebhookDeliveryDto {
  return {
    id: row.id,
    event_type: row.event_type,
    event_id: row.event_id,
    status: row.status,
    attempt_count: row.attempt_count,
    next_attempt_at: row.status === 'pending' ? new Date(row.next_attempt_at).toISOString() : null,
    created_at: new Date(row.created_at).toISOString(),
    finished_at: row.finished_at ? new Date(row.finished_at).toISOString() : null,
    attempts: row.attempts.map(toAttemptDto),
    payload: row.payload as unknown as WebhookEventBodyDto,
  };
}
