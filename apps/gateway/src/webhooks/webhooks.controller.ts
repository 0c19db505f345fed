import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { WEBHOOK_EVENT_TYPES } from '@kb4/contracts';
import { RequiresApiKey } from '../auth/api-key.guard';
import { CurrentWorkspace } from '../auth/current-workspace.decorator';
import { ErrorResponseDto } from '../http/error-response.dto';
import { NoQueryParams } from '../http/no-query.dto';
import { CreateWebhookDto, toWebhookDto, UpdateWebhookDto, WebhookDto, WebhookListDto, WebhookListQuery, WebhookWithSecretDto } from './webhook.dto';
import { WebhookEventBodyDto } from './webhook-delivery.dto';
import { WebhooksService } from './webhooks.service';

export const WEBHOOK_ID_PARAM = { name: 'id', description: 'Webhook id', format: 'uuid' } as const;

const DELIVERY_DESCRIPTION = [
  'Events are POSTed as JSON (schema WebhookEventBody: `type`, `timestamp`, `resource` for record:* events, `integrated_account_id`,',
  '`data` = the CloudEvent as on Kafka) and signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature` headers).',
  `Event names: ${WEBHOOK_EVENT_TYPES.join(', ')}.`,
  'At least once, in order per record; any 2xx within the timeout counts as delivered (3xx are not followed). Failed attempts are',
  'retried on Standard Webhooks\' schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h); a webhook whose attempts keep failing is disabled',
  'automatically (status disabled, disabled_reason).',
].join(' ');

/** Webhook subscriptions of the API key's workspace. */
@ApiTags('webhooks')
@RequiresApiKey('webhooks:manage')
@ApiExtraModels(WebhookEventBodyDto)
@ApiBadRequestResponse({ description: 'A parameter or body field is invalid; the message names it', type: ErrorResponseDto })
@Controller('webhooks')
export class WebhooksController {
  constructor(@Inject(WebhooksService) private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiOperation({ operationId: 'webhooks_create', summary: 'Subscribe a URL to webhook events', description: DELIVERY_DESCRIPTION })
  @ApiCreatedResponse({ type: WebhookWithSecretDto, description: 'The webhook with its signing secret (shown only here)' })
  async create(@CurrentWorkspace() workspaceId: string, @Body() body: CreateWebhookDto, @Query() _query: NoQueryParams): Promise<WebhookWithSecretDto> {
    const { webhook, secret } = await this.webhooks.create(workspaceId, body);
    return { ...toWebhookDto(webhook), secret };
  }

  @Get()
  @ApiOperation({ operationId: 'webhooks_list', summary: 'List the workspace\'s webhooks, oldest first' })
  @ApiOkResponse({ type: WebhookListDto })
  async list(@CurrentWorkspace() workspaceId: string, @Query() query: WebhookListQuery): Promise<WebhookListDto> {
    const page = await this.webhooks.list(workspaceId, query);
    return { result: page.rows.map(toWebhookDto), next_cursor: page.nextCursor, result_count: page.rows.length };
  }

  @Get(':id')
  @ApiOperation({ operationId: 'webhooks_get', summary: 'Get a webhook (never its secret)' })
  @ApiParam(WEBHOOK_ID_PARAM)
  @ApiOkResponse({ type: WebhookDto })
  @ApiNotFoundResponse({ description: 'No such webhook in this workspace', type: ErrorResponseDto })
  async get(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Query() _query: NoQueryParams): Promise<WebhookDto> {
    return toWebhookDto(await this.webhooks.get(workspaceId, id));
  }

  @Patch(':id')
  @ApiOperation({ operationId: 'webhooks_update', summary: 'Change the URL, description, filters, or enable/disable a webhook' })
  @ApiParam(WEBHOOK_ID_PARAM)
  @ApiOkResponse({ type: WebhookDto })
  @ApiNotFoundResponse({ description: 'No such webhook in this workspace', type: ErrorResponseDto })
  async update(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Body() body: UpdateWebhookDto, @Query() _query: NoQueryParams): Promise<WebhookDto> {
    return toWebhookDto(await this.webhooks.update(workspaceId, id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'webhooks_delete', summary: 'Delete a webhook and its delivery log' })
  @ApiParam(WEBHOOK_ID_PARAM)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ description: 'No such webhook in this workspace', type: ErrorResponseDto })
  async remove(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Query() _query: NoQueryParams): Promise<void> {
    await this.webhooks.remove(workspaceId, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ operationId: 'webhooks_rotate_secret', summary: 'Replace the signing secret; the new one is shown only in this response' })
  @ApiParam(WEBHOOK_ID_PARAM)
  @ApiOkResponse({ type: WebhookWithSecretDto })
  @ApiNotFoundResponse({ description: 'No such webhook in this workspace', type: ErrorResponseDto })
  async rotateSecret(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Query() _query: NoQueryParams): Promise<WebhookWithSecretDto> {
    const { webhook, secret } = await this.webhooks.rotateSecret(workspaceId, id);
    return { ...toWebhookDto(webhook), secret };
  }
}
