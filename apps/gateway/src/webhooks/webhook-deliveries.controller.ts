import { Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RequiresApiKey } from '../auth/api-key.guard';
import { CurrentWorkspace } from '../auth/current-workspace.decorator';
import { ErrorResponseDto } from '../http/error-response.dto';
import { NoQueryParams } from '../http/no-query.dto';
import { toDeliveryDto, WebhookDeliveryDto, WebhookDeliveryListDto, WebhookDeliveryListQuery } from './webhook-delivery.dto';
import { WEBHOOK_ID_PARAM } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/** A webhook's delivery log and manual redelivery. */
@ApiTags('webhooks')
@RequiresApiKey('webhooks:manage')
@ApiBadRequestResponse({ description: 'A parameter is invalid; the message names it', type: ErrorResponseDto })
@ApiNotFoundResponse({ description: 'No such webhook (or delivery) in this workspace', type: ErrorResponseDto })
@Controller('webhooks/:id/deliveries')
export class WebhookDeliveriesController {
  constructor(@Inject(WebhooksService) private readonly webhooks: WebhooksService) {}

  @Get()
  @ApiOperation({ operationId: 'webhooks_deliveries_list', summary: 'Delivery log, newest first: status, attempts (response status, time, truncated body) and next attempt' })
  @ApiParam(WEBHOOK_ID_PARAM)
  @ApiOkResponse({ type: WebhookDeliveryListDto })
  async list(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Query() query: WebhookDeliveryListQuery): Promise<WebhookDeliveryListDto> {
    const page = await this.webhooks.deliveries(workspaceId, id, query);
    return { result: page.rows.map(toDeliveryDto), next_cursor: page.nextCursor, result_count: page.rows.length };
  }

  @Post(':delivery_id/redeliver')
  @HttpCode(202)
  @ApiOperation({
    operationId: 'webhooks_deliveries_redeliver',
    summary: 'Send a delivery again now',
    description: 'A succeeded or given-up delivery is due again at once with a fresh retry schedule (same webhook-id); a pending one is moved up to now.',
  })
  @ApiParam(WEBHOOK_ID_PARAM)
  @ApiParam({ name: 'delivery_id', description: 'Delivery id', format: 'uuid' })
  @ApiAcceptedResponse({ type: WebhookDeliveryDto })
  @ApiConflictResponse({ description: 'The webhook is disabled', type: ErrorResponseDto })
  async redeliver(
    @CurrentWorkspace() workspaceId: string,
    @Param('id') id: string,
    @Param('delivery_id') deliveryId: string,
    @Query() _query: NoQueryParams,
  ): Promise<WebhookDeliveryDto> {
    return toDeliveryDto(await this.webhooks.redeliver(workspaceId, id, deliveryId));
  }
}
