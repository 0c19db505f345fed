import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { WebhookRepository, WebhookRow, WebhookSettings } from '@kb4/persistence';
import { ApiError, checkWebhookUrl, WebhookTargetRefusedError } from '@kb4/platform';
import { GatewayConfig } from '../config/gateway.config';
import { CursorCodec, queryFingerprint, readNextCursor } from '../directory/cursor';
import { CreateWebhookDto, UpdateWebhookDto, WebhookListQuery } from './webhook.dto';
import { WebhookDeliveryListQuery } from './webhook-delivery.dto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

const fieldError = (field: string, problem: string): ApiError =>
  new ApiError(400, `${field} ${problem}`, [{ field, location: 'body', errors: [`${field} ${problem}`] }]);

/** A workspace's webhooks: target checks (SSRF) and account ownership on every write, the secret shown once. */
@Injectable()
export class WebhooksService {
  private readonly cursors: CursorCodec;

  constructor(
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
    @Inject(WebhookRepository) private readonly webhooks: WebhookRepository,
  ) {
    this.cursors = CursorCodec.fromConfig(config);
  }

  async create(workspaceId: string, input: CreateWebhookDto): Promise<{ webhook: WebhookRow; secret: string }> {
    const settings: WebhookSettings = {
      url: await this.checkedUrl(input.url),
      description: input.description ?? '',
      events: input.events ?? null,
      integratedAccountIds: await this.ownAccounts(workspaceId, input.integrated_account_ids ?? null),
      status: input.status ?? 'enabled',
    };
    const secret = newSigningSecret();
    return { webhook: await this.webhooks.create(workspaceId, settings, secret), secret };
  }

  async list(workspaceId: string, query: WebhookListQuery): Promise<{ rows: WebhookRow[]; nextCursor: string | null }> {
    const limit = query.limit ?? 50;
    const fingerprint = queryFingerprint({ workspaceId, resource: 'webhooks', limit });
    const after = query.next_cursor === undefined ? undefined : readNextCursor(() => this.cursors.decodeTimeKeyset(query.next_cursor!, fingerprint));
    const page = await this.webhooks.list(workspaceId, limit, after);
    return { rows: page.rows, nextCursor: page.next ? this.cursors.encodeTimeKeyset(page.next, fingerprint) : null };
  }

  async get(workspaceId: string, id: string): Promise<WebhookRow> {
    const webhook = UUID.test(id) ? await this.webhooks.find(workspaceId, id) : undefined;
    if (!webhook) throw new ApiError(404, `webhook ${id} not found`);
    return webhook;
  }

  async update(workspaceId: string, id: string, input: UpdateWebhookDto): Promise<WebhookRow> {
    const current = await this.get(workspaceId, id);
    const settings: WebhookSettings = {
      url: input.url === undefined ? current.url : await this.checkedUrl(input.url),
      description: input.description ?? current.description,
      events: input.events === undefined ? current.events : input.events,
      integratedAccountIds:
        input.integrated_account_ids === undefined ? current.integrated_account_ids : await this.ownAccounts(workspaceId, input.integrated_account_ids),
      status: input.status ?? current.status,
    };
    const updated = await this.webhooks.update(workspaceId, id, settings);
    if (!updated) throw new ApiError(404, `webhook ${id} not found`);
    return updated;
  }

  async remove(workspaceId: string, id: string): Promise<void> {
    if (!UUID.test(id) || !(await this.webhooks.remove(workspaceId, id))) throw new ApiError(404, `webhook ${id} not found`);
  }

  async rotateSecret(workspaceId: string, id: string): Promise<{ webhook: WebhookRow; secret: string }> {
    await this.get(workspaceId, id);
    const secret = newSigningSecret();
    const webhook = await this.webhooks.rotateSecret(workspaceId, id, secret);
    if (!webhook) throw new ApiError(404, `webhook ${id} not found`);
    return { webhook, secret };
  }

  async deliveries(workspaceId: string, id: string, query: WebhookDeliveryListQuery) {
    const webhook = await this.get(workspaceId, id);
    const limit = query.limit ?? 20;
    const fingerprint = queryFingerprint({ webhookId: webhook.id, resource: 'webhook_deliveries', limit, status: query.status, eventType: query.event_type });
    const before = query.next_cursor === undefined ? undefined : readNextCursor(() => this.cursors.decode(query.next_cursor!, fingerprint).seq);
    const page = await this.webhooks.listDeliveries(webhook.id, { limit, beforeSeq: before, status: query.status, eventType: query.event_type });
    const nextCursor = page.nextSeq ? this.cursors.encode({ direction: 'next', seq: page.nextSeq }, fingerprint) : null;
    return { rows: page.rows, nextCursor };
  }

  async redeliver(workspaceId: string, id: string, deliveryId: string) {
    const webhook = await this.get(workspaceId, id);
    if (webhook.status === 'disabled') {
      throw new ApiError(409, `webhook ${id} is disabled (${webhook.disabled_reason ?? 'disabled'}); PATCH status "enabled" first`);
    }
    const delivery = UUID.test(deliveryId) ? await this.webhooks.redeliver(webhook.id, deliveryId) : undefined;
    if (!delivery) throw new ApiError(404, `delivery ${deliveryId} not found for webhook ${id}`);
    return delivery;
  }

  private async checkedUrl(url: string): Promise<string> {
    try {
      const policy = { allowHttp: this.config.WEBHOOKS_ALLOW_HTTP, allowPrivate: this.config.WEBHOOKS_ALLOW_PRIVATE };
      return (await checkWebhookUrl(url, policy)).toString();
    } catch (error) {
      if (error instanceof WebhookTargetRefusedError) throw fieldError('url', error.message);
      throw error;
    }
  }

  private async ownAccounts(workspaceId: string, ids: string[] | null): Promise<string[] | null> {
    if (ids === null) return null;
    const foreign = await this.webhooks.foreignAccountIds(workspaceId, ids);
    if (foreign.length > 0) throw fieldError('integrated_account_ids', `names accounts that are not in this workspace: ${foreign.join(', ')}`);
    return ids;
  }
}
