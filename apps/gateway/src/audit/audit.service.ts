import { once } from 'node:events';
import { hkdfSync } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditEntry, AuditListQuery, AuditLogRepository, checkpointSignature, checkpointSignatureValid, OperationMirrorRepository } from '@kb4/persistence';
import { ApiError } from '@kb4/platform';
import type { Response } from 'express';
import { AccountScope } from '../accounts/account-scope';
import { GatewayConfig } from '../config/gateway.config';
import { CursorCodec, InvalidCursorError, queryFingerprint, readNextCursor } from '../directory/cursor';
import { csvHeader, csvLine } from './audit-csv';
import {
  AuditCheckpointDto,
  AuditEventPageDto,
  AuditEventsQuery,
  AuditExportQuery,
  AuditFiltersQuery,
  AuditVerificationDto,
  CheckpointVerificationDto,
  toAuditEventDto,
  UserHistoryQuery,
} from './audit.dto';

/** Waits for the client to read what is buffered (or to leave); no listener is left behind. */
async function drainedOrClosed(response: Response): Promise<void> {
  const done = new AbortController();
  try {
    await Promise.race([once(response, 'drain', { signal: done.signal }), once(response, 'close', { signal: done.signal })]);
  } finally {
    done.abort();
  }
}

/** The checkpoint key: AUDIT_CHECKPOINT_KEY, else derived from CREDENTIALS_KEY (HKDF with its own label). */
export function checkpointKeyOf(config: Pick<GatewayConfig, 'AUDIT_CHECKPOINT_KEY' | 'CREDENTIALS_KEY'>): Buffer {
  if (config.AUDIT_CHECKPOINT_KEY) return Buffer.from(config.AUDIT_CHECKPOINT_KEY, 'base64');
  return Buffer.from(hkdfSync('sha256', Buffer.from(config.CREDENTIALS_KEY, 'base64'), Buffer.alloc(0), 'kb4-directory audit checkpoints v1', 32));
}

/**
 * The audit log over REST: filtered pages in chain order, a user's history, streamed exports, the chain recomputed,
 * and signed checkpoints of its head. Every read is scoped to an account of the caller's workspace.
 */
@Injectable()
export class AuditService {
  private readonly cursors: CursorCodec;
  private readonly checkpointKey: Buffer;

  constructor(
    @Inject(AccountScope) private readonly scope: AccountScope,
    @Inject(AuditLogRepository) private readonly audit: AuditLogRepository,
    @Inject(OperationMirrorRepository) private readonly mirror: OperationMirrorRepository,
    @Inject(GatewayConfig) config: GatewayConfig,
  ) {
    this.cursors = CursorCodec.fromConfig(config);
    this.checkpointKey = checkpointKeyOf(config);
  }

  async list(workspaceId: string, query: AuditEventsQuery): Promise<AuditEventPageDto> {
    const filters = await this.filtersOf(workspaceId, query);
    const limit = query.limit ?? 50;
    return this.page({ ...filters, limit }, { resource: 'audit_events', query: { ...query, next_cursor: undefined }, workspaceId }, query.next_cursor);
  }

  /** Every entry about one user, in order; the user may be addressed by its Reporting or SCIM id, and may be deleted. */
  async history(workspaceId: string, userId: string, query: UserHistoryQuery): Promise<AuditEventPageDto> {
    const account = await this.scope.requireAccount(workspaceId, query.integrated_account_id);
    if (userId.length > 128) throw new ApiError(404, 'user not found');
    const row = await this.mirror.findUser(account.id, userId);
    const userIds = [...new Set([userId, row?.remoteId, row?.scimId].filter((id): id is string => typeof id === 'string' && id !== ''))];
    const limit = query.limit ?? 50;
    return this.page(
      { accountId: account.id, workspaceId, userIds, limit },
      { resource: 'user_history', query: { user: userId, account: account.id, limit }, workspaceId },
      query.next_cursor,
    );
  }

  /** Streams every matching entry as CSV or NDJSON, writing only as fast as the client reads. */
  async export(workspaceId: string, query: AuditExportQuery, response: Response): Promise<void> {
    const filters = await this.filtersOf(workspaceId, query);
    const csv = query.format === 'csv';
    const entries = this.audit.stream(filters);
    let gone = false;
    const onClose = (): void => {
      gone = true;
    };
    try {
      // the first row is read before the status line: a database failure up to here is an ordinary error answer
      let next = await entries.next();
      response.status(200);
      response.setHeader('content-type', csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
      response.setHeader('content-disposition', `attachment; filename="audit-events-${filters.accountId}.${csv ? 'csv' : 'ndjson'}"`);
      response.setHeader('cache-control', 'no-store');
      response.on('close', onClose);
      try {
        if (csv) response.write(csvHeader());
        for (; !next.done && !gone; next = await entries.next()) {
          if (!response.write(csv ? csvLine(next.value) : `${JSON.stringify(toAuditEventDto(next.value))}\n`)) await drainedOrClosed(response);
        }
        if (!gone) response.end();
      } catch (error) {
        // the status line is sent: a failure mid-stream can only cut the body short, which the client sees
        response.destroy(error instanceof Error ? error : undefined);
      }
    } finally {
      response.off('close', onClose);
      await entries.return(undefined); // releases the cursor's connection when the client left early
    }
  }

  async verify(workspaceId: string, accountId: string): Promise<AuditVerificationDto> {
    const account = await this.scope.requireAccount(workspaceId, accountId);
    return { integrated_account_id: account.id, ...(await this.audit.verify(account.id)) };
  }

  async createCheckpoint(workspaceId: string, accountId: string): Promise<AuditCheckpointDto> {
    const account = await this.scope.requireAccount(workspaceId, accountId);
    const head = await this.audit.head(account.id);
    const content = { integrated_account_id: account.id, seq: head.seq, head_hash: head.hash, at: new Date().toISOString() };
    return { ...content, signature: checkpointSignature(this.checkpointKey, content) };
  }

  /** Valid when we signed it, the entry at its seq still has its head hash, and the chain up to there verifies. */
  async verifyCheckpoint(workspaceId: string, checkpoint: AuditCheckpointDto): Promise<CheckpointVerificationDto> {
    const account = await this.scope.requireAccount(workspaceId, checkpoint.integrated_account_id);
    const content = { integrated_account_id: account.id, seq: checkpoint.seq, head_hash: checkpoint.head_hash ?? null, at: checkpoint.at };
    if (!checkpointSignatureValid(this.checkpointKey, content, checkpoint.signature)) return { valid: false, reason: 'signature_invalid', chain: null };
    const chain = { integrated_account_id: account.id, ...(await this.audit.verify(account.id, checkpoint.seq)) };
    if (checkpoint.seq !== '0') {
      const entry = await this.audit.entryAt(account.id, checkpoint.seq);
      if (!entry) return { valid: false, reason: 'entry_missing', chain };
      if (entry.hash !== content.head_hash) return { valid: false, reason: 'head_hash_mismatch', chain };
    }
    if (!chain.ok) return { valid: false, reason: 'chain_broken', chain };
    return { valid: true, reason: null, chain };
  }

  private async filtersOf(workspaceId: string, query: AuditFiltersQuery): Promise<Omit<AuditListQuery, 'limit'>> {
    const account = await this.scope.requireAccount(workspaceId, query.integrated_account_id);
    const since = query.since ? new Date(query.since) : undefined;
    const until = query.until ? new Date(query.until) : undefined;
    for (const [field, value] of [['since', since], ['until', until]] as const) {
      if (value && Number.isNaN(value.getTime())) throw new ApiError(400, `${field} is not a valid date-time`, [{ field, location: 'query', errors: [`${field} is not a valid date-time`] }]);
    }
    const colon = query.actor?.indexOf(':') ?? -1;
    const actorType = query.actor === undefined ? undefined : colon < 0 ? query.actor : query.actor.slice(0, colon);
    const actorId = query.actor !== undefined && colon >= 0 ? query.actor.slice(colon + 1) : undefined;
    const userIds = query.user_id ? await this.idsOfUser(account.id, query.user_id) : undefined;
    return { accountId: account.id, workspaceId, userIds, types: query.type, actorType, actorId, since, until };
  }

  private async idsOfUser(accountId: string, userId: string): Promise<string[]> {
    const row = await this.mirror.findUser(accountId, userId);
    return [...new Set([userId, row?.remoteId, row?.scimId].filter((id): id is string => typeof id === 'string' && id !== ''))];
  }

  private async page(
    query: AuditListQuery,
    binding: { resource: string; query: object; workspaceId: string },
    cursor: string | undefined,
  ): Promise<AuditEventPageDto> {
    const fingerprint = queryFingerprint({ ...binding.query, resource: binding.resource, workspaceId: binding.workspaceId });
    const afterSeq = cursor === undefined ? undefined : this.decode(cursor, fingerprint);
    const rows = await this.audit.list({ ...query, afterSeq, limit: query.limit + 1 });
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    const next = rows.length > query.limit && last ? this.cursors.encode({ direction: 'next', seq: last.seq }, fingerprint) : null;
    return { result: page.map((entry: AuditEntry) => toAuditEventDto(entry)), next_cursor: next, result_count: page.length };
  }

  private decode(cursor: string, fingerprint: string): string {
    return readNextCursor(() => {
      const position = this.cursors.decode(cursor, fingerprint);
      if (position.direction !== 'next') throw new InvalidCursorError('cursor is malformed');
      return position.seq;
    });
  }
}
