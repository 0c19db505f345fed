import { DataSource } from 'typeorm';
import { CredentialCipher } from '../credentials/credential-cipher';
import { KEYSET_TIME_SQL, KeysetPage, TimeKeyset } from './account-admin.repository';

export type WebhookStatus = 'enabled' | 'disabled';
export type WebhookDeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface WebhookRow {
  id: string;
  workspace_id: string;
  url: string;
  description: string;
  events: string[] | null;
  integrated_account_ids: string[] | null;
  status: WebhookStatus;
  disabled_reason: string | null;
  disabled_at: Date | null;
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface WebhookSettings {
  url: string;
  description: string;
  events: string[] | null;
  integratedAccountIds: string[] | null;
  status: WebhookStatus;
}

export interface WebhookAttemptRow {
  attempted_at: Date;
  duration_ms: number;
  response_status: number | null;
  response_body: string | null;
  error: string | null;
}

export interface WebhookDeliveryRow {
  id: string;
  seq: string;
  webhook_id: string;
  event_type: string;
  event_id: string;
  record_key: string;
  payload: Record<string, unknown>;
  status: WebhookDeliveryStatus;
  attempt_count: number;
  next_attempt_at: Date;
  created_at: Date;
  finished_at: Date | null;
  attempts: WebhookAttemptRow[];
}

const WEBHOOK_COLUMNS = `id, workspace_id, url, description, events, integrated_account_ids, status, disabled_reason, disabled_at,
  failing_since, created_at, updated_at`;
const DELIVERY_COLUMNS = `id, seq, webhook_id, event_type, event_id, record_key, payload, status, attempt_count, next_attempt_at,
  created_at, finished_at`;
/** Attempts shown per delivery in the log (the newest ones). */
const ATTEMPTS_SHOWN = 20;

/**
 * A workspace's webhooks and their delivery log, as the gateway manages them. Every method is scoped by workspace:
 * another workspace's webhook is not found. The signing secret is written encrypted and never read back here.
 */
export class WebhookRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly cipher: CredentialCipher,
  ) {}

  async create(workspaceId: string, settings: WebhookSettings, secret: string): Promise<WebhookRow> {
    const sealed = this.cipher.encryptText(secret);
    const [row] = await this.dataSource.query<WebhookRow[]>(
      `INSERT INTO webhooks (workspace_id, url, description, events, integrated_account_ids, status, secret_ciphertext, secret_key_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${WEBHOOK_COLUMNS}`,
      [workspaceId, settings.url, settings.description, settings.events, settings.integratedAccountIds, settings.status, sealed.ciphertext, sealed.keyId],
    );
    return row;
  }

  /** Oldest first, keyset pages after (created_at, id) of the previous page's last webhook. */
  async list(workspaceId: string, limit: number, after?: TimeKeyset): Promise<KeysetPage<WebhookRow>> {
    const rows = await this.dataSource.query<Array<WebhookRow & { keyset_at: string }>>(
      `SELECT ${WEBHOOK_COLUMNS}, ${KEYSET_TIME_SQL('created_at')} AS keyset_at FROM webhooks
        WHERE workspace_id = $1 AND ($3::timestamptz IS NULL OR (created_at, id) > ($3::timestamptz, $4::uuid))
        ORDER BY created_at, id LIMIT $2`,
      [workspaceId, limit + 1, after?.at ?? null, after?.id ?? null],
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { rows: page.map(({ keyset_at: _at, ...row }) => row), next: rows.length > limit && last ? { at: last.keyset_at, id: last.id } : null };
  }

  async find(workspaceId: string, id: string): Promise<WebhookRow | undefined> {
    const [row] = await this.dataSource.query<WebhookRow[]>(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE workspace_id = $1 AND id = $2`, [workspaceId, id]);
    return row;
  }

  /** Saves the settings; enabling a disabled webhook clears its disabled reason and failure streak. */
  async update(workspaceId: string, id: string, settings: WebhookSettings): Promise<WebhookRow | undefined> {
    const [rows] = await this.dataSource.query<[WebhookRow[], number]>(
      `UPDATE webhooks SET url = $3, description = $4, events = $5, integrated_account_ids = $6, status = $7, updated_at = now(),
              disabled_reason = CASE WHEN $7 = 'enabled' THEN NULL WHEN status = 'enabled' THEN 'disabled through the API' ELSE disabled_reason END,
              disabled_at = CASE WHEN $7 = 'enabled' THEN NULL WHEN status = 'enabled' THEN now() ELSE disabled_at END,
              failing_since = CASE WHEN $7 = 'enabled' AND status = 'disabled' THEN NULL ELSE failing_since END
        WHERE workspace_id = $1 AND id = $2 RETURNING ${WEBHOOK_COLUMNS}`,
      [workspaceId, id, settings.url, settings.description, settings.events, settings.integratedAccountIds, settings.status],
    );
    return rows[0];
  }

  async remove(workspaceId: string, id: string): Promise<boolean> {
    const [, count] = await this.dataSource.query<[unknown[], number]>(`DELETE FROM webhooks WHERE workspace_id = $1 AND id = $2`, [workspaceId, id]);
    return count > 0;
  }

  /** Replaces the signing secret; deliveries signed from now on use the new one. */
  async rotateSecret(workspaceId: string, id: string, secret: string): Promise<WebhookRow | undefined> {
    const sealed = this.cipher.encryptText(secret);
    const [rows] = await this.dataSource.query<[WebhookRow[], number]>(
      `UPDATE webhooks SET secret_ciphertext = $3, secret_key_id = $4, updated_at = now() WHERE workspace_id = $1 AND id = $2 RETURNING ${WEBHOOK_COLUMNS}`,
      [workspaceId, id, sealed.ciphertext, sealed.keyId],
    );
    return rows[0];
  }

  /** The ids among `accountIds` that are not integrated accounts of this workspace. */
  async foreignAccountIds(workspaceId: string, accountIds: readonly string[]): Promise<string[]> {
    if (accountIds.length === 0) return [];
    const rows = await this.dataSource.query<Array<{ id: string }>>(
      `SELECT id FROM unnest($2::uuid[]) AS given(id) WHERE NOT EXISTS (SELECT 1 FROM integrated_accounts a WHERE a.id = given.id AND a.workspace_id = $1)`,
      [workspaceId, accountIds],
    );
    return rows.map((row) => row.id);
  }

  /** Newest first, keyset pages before the previous page's last `seq`; each delivery with its newest attempts. */
  async listDeliveries(
    webhookId: string,
    options: { limit: number; beforeSeq?: string; status?: WebhookDeliveryStatus; eventType?: string },
  ): Promise<{ rows: WebhookDeliveryRow[]; nextSeq: string | null }> {
    const rows = await this.dataSource.query<Array<Omit<WebhookDeliveryRow, 'attempts'>>>(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries
        WHERE webhook_id = $1 AND ($3::bigint IS NULL OR seq < $3::bigint) AND ($4::text IS NULL OR status = $4) AND ($5::text IS NULL OR event_type = $5)
        ORDER BY seq DESC LIMIT $2`,
      [webhookId, options.limit + 1, options.beforeSeq ?? null, options.status ?? null, options.eventType ?? null],
    );
    const page = rows.slice(0, options.limit);
    const nextSeq = rows.length > options.limit ? String(page[page.length - 1].seq) : null;
    return { rows: await this.withAttempts(page), nextSeq };
  }

  async findDelivery(webhookId: string, deliveryId: string): Promise<WebhookDeliveryRow | undefined> {
    const rows = await this.dataSource.query<Array<Omit<WebhookDeliveryRow, 'attempts'>>>(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1 AND id = $2`,
      [webhookId, deliveryId],
    );
    return (await this.withAttempts(rows))[0];
  }

  /**
   * Manual redelivery: a finished delivery (succeeded or given up) is due again now with a fresh retry schedule;
   * a pending one not being attempted right now is moved up to now. Undefined when there is no such delivery.
   */
  async redeliver(webhookId: string, deliveryId: string): Promise<WebhookDeliveryRow | undefined> {
    await this.dataSource.query(
      `UPDATE webhook_deliveries SET status = 'pending', schedule_step = 0, next_attempt_at = now(), finished_at = NULL
        WHERE webhook_id = $1 AND id = $2 AND (status <> 'pending' OR lease_expires_at IS NULL OR lease_expires_at < now())`,
      [webhookId, deliveryId],
    );
    return this.findDelivery(webhookId, deliveryId);
  }

  private async withAttempts(rows: Array<Omit<WebhookDeliveryRow, 'attempts'>>): Promise<WebhookDeliveryRow[]> {
    if (rows.length === 0) return [];
    const attempts = await this.dataSource.query<Array<WebhookAttemptRow & { delivery_id: string }>>(
      `SELECT delivery_id, attempted_at, duration_ms, response_status, response_body, error FROM (
         SELECT a.*, row_number() OVER (PARTITION BY delivery_id ORDER BY id DESC) AS newest
           FROM webhook_delivery_attempts a WHERE delivery_id = ANY($1::uuid[])) ranked
        WHERE newest <= $2 ORDER BY delivery_id, attempted_at`,
      [rows.map((row) => row.id), ATTEMPTS_SHOWN],
    );
    const byDelivery = new Map<string, WebhookAttemptRow[]>();
    for (const { delivery_id: deliveryId, ...attempt } of attempts) {
      const list = byDelivery.get(deliveryId) ?? [];
      list.push(attempt);
      byDelivery.set(deliveryId, list);
    }
    return rows.map((row) => ({ ...row, attempts: byDelivery.get(row.id) ?? [] }));
  }
}
