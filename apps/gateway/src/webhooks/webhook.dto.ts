import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsOptional, IsString, IsUUID, Length, ValidateIf } from 'class-validator';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '@kb4/contracts';
import type { WebhookRow, WebhookStatus } from '@kb4/persistence';
import { PageLimit } from '../http/page-limit';

export const WEBHOOK_STATUSES = ['enabled', 'disabled'] as const;

const URL_HELP =
  'Where events are POSTed. https (http only when the deployment sets WEBHOOKS_ALLOW_HTTP); the host must not resolve to a loopback, ' +
  'private (RFC 1918, ULA), link-local (169.254/16, metadata, fe80::/10), CGNAT, multicast or unspecified address — checked now and again ' +
  'at every delivery — unless the deployment sets WEBHOOKS_ALLOW_PRIVATE (local demo). Redirects are not followed.';
const EVENTS_HELP = 'Webhook event names to receive; omitted or null: every event';
const ACCOUNTS_HELP = 'Only events of these integrated accounts (of this workspace); omitted or null: every account';

export class CreateWebhookDto {
  @ApiProperty({ description: URL_HELP, format: 'uri', example: 'https://hooks.example.com/kb4', minLength: 1, maxLength: 2000 })
  @IsString()
  @Length(1, 2000)
  url!: string;

  @ApiPropertyOptional({ example: 'HR sync: new and changed KnowBe4 users', maxLength: 500, default: '' })
  @IsOptional()
  @IsString()
  @Length(0, 500)
  description?: string;

  @ApiPropertyOptional({ description: EVENTS_HELP, type: 'array', items: { type: 'string', enum: [...WEBHOOK_EVENT_TYPES] }, nullable: true, example: ['record:created', 'record:updated'] })
  @IsOptional()
  @ValidateIf((_o, value) => value !== null)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true, message: `each value in events must be one of: ${WEBHOOK_EVENT_TYPES.join(', ')}` })
  events?: WebhookEventType[] | null;

  @ApiPropertyOptional({ description: ACCOUNTS_HELP, type: 'array', items: { type: 'string', format: 'uuid' }, nullable: true, example: ['0f8fad5b-d9cb-469f-a165-70867728950e'] })
  @IsOptional()
  @ValidateIf((_o, value) => value !== null)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  integrated_account_ids?: string[] | null;

  @ApiPropertyOptional({ enum: WEBHOOK_STATUSES, default: 'enabled', example: 'enabled', description: 'disabled: no events are stored or sent for it' })
  @IsOptional()
  @IsIn(WEBHOOK_STATUSES)
  status?: WebhookStatus;
}

export class UpdateWebhookDto {
  @ApiPropertyOptional({ description: URL_HELP, format: 'uri', example: 'https://hooks.example.com/kb4/v2', minLength: 1, maxLength: 2000 })
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  url?: string;

  @ApiPropertyOptional({ example: 'HR sync (v2 endpoint)', maxLength: 500 })
  @IsOptional()
  @IsString()
  @Length(0, 500)
  description?: string;

  @ApiPropertyOptional({ description: `${EVENTS_HELP}; null: back to every event`, type: 'array', items: { type: 'string', enum: [...WEBHOOK_EVENT_TYPES] }, nullable: true, example: ['record:created'] })
  @IsOptional()
  @ValidateIf((_o, value) => value !== null)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true, message: `each value in events must be one of: ${WEBHOOK_EVENT_TYPES.join(', ')}` })
  events?: WebhookEventType[] | null;

  @ApiPropertyOptional({ description: `${ACCOUNTS_HELP}; null: back to every account`, type: 'array', items: { type: 'string', format: 'uuid' }, nullable: true, example: null })
  @IsOptional()
  @ValidateIf((_o, value) => value !== null)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  integrated_account_ids?: string[] | null;

  @ApiPropertyOptional({ enum: WEBHOOK_STATUSES, example: 'enabled', description: 'enabled re-enables an automatically disabled webhook (its pending deliveries resume)' })
  @IsOptional()
  @IsIn(WEBHOOK_STATUSES)
  status?: WebhookStatus;
}

export class WebhookDto {
  @ApiProperty({ format: 'uuid', example: '7c9e6679-7425-40de-944b-e07fc1f90ae7' })
  id!: string;

  @ApiProperty({ format: 'uri', example: 'https://hooks.example.com/kb4' })
  url!: string;

  @ApiProperty({ example: 'HR sync: new and changed KnowBe4 users' })
  description!: string;

  @ApiProperty({ description: EVENTS_HELP, type: 'array', items: { type: 'string', enum: [...WEBHOOK_EVENT_TYPES] }, nullable: true, example: ['record:created', 'record:updated'] })
  events!: string[] | null;

  @ApiProperty({ description: ACCOUNTS_HELP, type: 'array', items: { type: 'string', format: 'uuid' }, nullable: true, example: null })
  integrated_account_ids!: string[] | null;

  @ApiProperty({ enum: WEBHOOK_STATUSES, example: 'enabled' })
  status!: WebhookStatus;

  @ApiProperty({ type: 'string', nullable: true, example: null, description: 'Why it is disabled: through the API, or automatically after persistent delivery failure' })
  disabled_reason!: string | null;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true, example: null })
  disabled_at!: string | null;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true, example: null, description: 'First failed attempt since the last successful delivery (null while it delivers)' })
  failing_since!: string | null;

  @ApiProperty({ format: 'date-time', example: '2026-11-28T04:00:00.000Z' })
  created_at!: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-28T04:00:00.000Z' })
  updated_at!: string;
}

export class WebhookWithSecretDto extends WebhookDto {
  @ApiProperty({
    description: 'The Standard Webhooks signing secret; shown only in this response (creation or rotation). Verify with e.g. `new Webhook(secret).verify(body, headers)` of the `standardwebhooks` package',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  secret!: string;
}

export class WebhookListDto {
  @ApiProperty({ type: [WebhookDto] })
  result!: WebhookDto[];

  @ApiProperty({ type: 'string', nullable: true, example: null })
  next_cursor!: string | null;

  @ApiProperty({ example: 1 })
  result_count!: number;
}

export class WebhookListQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50, description: 'Webhooks per page' })
  @PageLimit(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'The next_cursor of the previous page (opaque; keep limit unchanged while paging)' })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  next_cursor?: string;
}

const iso = (value: Date | null): string | null => (value ? new Date(value).toISOString() : null);

export function toWebhookDto(row: WebhookRow): WebhookDto {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events,
    integrated_account_ids: row.integrated_account_ids,
    status: row.status,
    disabled_reason: row.disabled_reason,
    disabled_at: iso(row.disabled_at),
    failing_since: iso(row.failing_since),
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}
