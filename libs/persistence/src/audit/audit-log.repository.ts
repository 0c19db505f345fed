import type { PoolClient } from 'pg';
import QueryStream from 'pg-query-stream';
import type { DataSource, EntityManager } from 'typeorm';
import { attributionOfOperation, OperationAttribution } from './audit-actor';
import { AuditActor, AuditChange, AuditEntry, AuditEventType, AuditResource, AuditSource, auditEntryHash, ChainBreak, ChainVerifier } from './audit-chain';

/** One change to record; who made it and why come with the batch (AuditLogRepository.append). */
export interface AuditDraft {
  /** Stable per logical change (derived from the event or operation), so a re-run unit of work appends nothing twice. */
  id: string;
  type: AuditEventType;
  resource: AuditResource;
  changes: AuditChange[];
}

export interface AuditListQuery {
  accountId: string;
  workspaceId: string;
  /** Any of these user ids (Reporting or SCIM id). */
  userIds?: string[];
  types?: string[];
  actorType?: string;
  actorId?: string;
  since?: Date;
  until?: Date;
  /** Keyset: entries with a larger seq. */
  afterSeq?: string;
  limit: number;
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  head: { seq: string; hash: string | null };
  first_broken: ChainBreak | null;
}

interface AuditRowSql {
  id: string;
  account_id: string;
  workspace_id: string;
  seq: string;
  occurred_at: Date;
  type: AuditEventType;
  resource: AuditResource;
  changes: AuditChange[];
  actor: AuditActor;
  source: AuditSource;
  request_id: string | null;
  prev_hash: string | null;
  hash: string;
}

interface HeadSql {
  seq: string;
  hash: string | null;
  workspace_id: string;
  present: string[];
  operation_actor?: Record<string, unknown> | null;
}

const ROW_COLUMNS = `id, account_id, workspace_id, seq::text AS seq, occurred_at, type, resource, changes, actor, source, request_id, prev_hash, hash`;

/**
 * Locks the account's chain head (created on first use) and reads it: appends of one account wait here for each
 * other until commit, so seq is gapless and every prev_hash is the committed head. ON CONFLICT DO UPDATE locks and
 * returns the latest committed version of the row even when it waited. Also returns which of the drafts' ids are
 * already recorded (a re-run) and, for an operation, its actor.
 */
const LOCK_HEAD = (withOperation: boolean): string => `
  WITH head AS (
    INSERT INTO audit_chain_heads (account_id, workspace_id)
    SELECT a.id, a.workspace_id FROM integrated_accounts a WHERE a.id = $1
    ON CONFLICT (account_id) DO UPDATE SET workspace_id = audit_chain_heads.workspace_id
    RETURNING seq::text AS seq, hash, workspace_id)
  SELECT head.*, ARRAY(SELECT e.id::text FROM audit_events e WHERE e.id = ANY($2::uuid[])) AS present
         ${withOperation ? ', (SELECT o.actor FROM operations o WHERE o.id = $3) AS operation_actor' : ''}
    FROM head`;

const INSERT_ENTRIES = `
  WITH entries AS (
    INSERT INTO audit_events (id, account_id, workspace_id, seq, occurred_at, type, resource, changes, actor, source, request_id, prev_hash, hash, user_ids)
    SELECT r.id, r.account_id, r.workspace_id, r.seq, r.occurred_at, r.type, r.resource, r.changes, r.actor, r.source, r.request_id, r.prev_hash, r.hash,
           ARRAY(SELECT jsonb_array_elements_text(r.user_ids))
      FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, account_id uuid, workspace_id uuid, seq bigint, occurred_at timestamptz, type text,
           resource jsonb, changes jsonb, actor jsonb, source jsonb, request_id text, prev_hash text, hash text, user_ids jsonb)
     ORDER BY r.seq
    RETURNING 1)
  UPDATE audit_chain_heads SET seq = $3, hash = $4 WHERE account_id = $2`;

/** Every id of the resource's user, for history lookups. */
function userIdsOf(resource: AuditResource): string[] {
  const user = resource.user;
  if (!user) return [];
  return [...new Set([user.id, ...user.ids].filter((id): id is string => typeof id === 'string' && id !== ''))];
}

function entryOf(row: AuditRowSql): AuditEntry {
  return {
    id: row.id,
    integrated_account_id: row.account_id,
    workspace_id: row.workspace_id,
    seq: row.seq,
    occurred_at: new Date(row.occurred_at).toISOString(),
    type: row.type,
    resource: row.resource,
    changes: row.changes,
    actor: row.actor,
    source: row.source,
    request_id: row.request_id,
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}

/** Page size of the verify walk: the chain is read in seq order, never held whole. */
const VERIFY_PAGE = 5000;

/**
 * The append-only, hash-chained audit log. Appends run inside the caller's transaction — the one that makes the
 * change — so an entry exists exactly when its change was committed. Reads are scoped by account and workspace.
 */
export class AuditLogRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Appends the drafts (in order) with one attribution; returns how many were new. Two statements whatever the count. */
  async append(manager: EntityManager, accountId: string, attribution: OperationAttribution, drafts: readonly AuditDraft[], occurredAt = new Date()): Promise<number> {
    if (drafts.length === 0) return 0;
    const heads: HeadSql[] = await manager.query(LOCK_HEAD(false), [accountId, drafts.map((draft) => draft.id)]);
    return this.insertAfter(manager, accountId, heads[0], attribution, drafts, occurredAt);
  }

  /** As append, attributed to the operation that made the changes (its actor read in the same statement as the head). */
  async appendForOperation(manager: EntityManager, accountId: string, operationId: string, drafts: readonly AuditDraft[], occurredAt = new Date()): Promise<number> {
    if (drafts.length === 0) return 0;
    const heads: HeadSql[] = await manager.query(LOCK_HEAD(true), [accountId, drafts.map((draft) => draft.id), operationId]);
    const head = heads[0];
    return this.insertAfter(manager, accountId, head, attributionOfOperation(operationId, head?.operation_actor ?? null), drafts, occurredAt);
  }

  private async insertAfter(
    manager: EntityManager,
    accountId: string,
    head: HeadSql | undefined,
    attribution: OperationAttribution,
    drafts: readonly AuditDraft[],
    occurredAt: Date,
  ): Promise<number> {
    if (!head) return 0; // the account is gone: nothing to attribute the change to
    const present = new Set(head.present);
    let seq = BigInt(head.seq);
    let prevHash = head.hash;
    const at = new Date(Math.floor(occurredAt.getTime())).toISOString();
    const rows: Array<AuditEntry & { account_id: string; user_ids: string[] }> = [];
    for (const draft of drafts) {
      if (present.has(draft.id)) continue;
      present.add(draft.id);
      seq += 1n;
      const content = {
        id: draft.id,
        integrated_account_id: accountId,
        workspace_id: head.workspace_id,
        seq: seq.toString(),
        occurred_at: at,
        type: draft.type,
        // every member present (null when unset), so the entry the API shows is exactly the entry hashed
        resource: { user: draft.resource.user ?? null, group: draft.resource.group ?? null },
        changes: draft.changes,
        actor: attribution.actor,
        source: {
          operation_id: attribution.source.operation_id ?? null,
          roster_run_id: attribution.source.roster_run_id ?? null,
          rule_id: attribution.source.rule_id ?? null,
          sync_run_id: attribution.source.sync_run_id ?? null,
        },
        request_id: attribution.requestId,
        prev_hash: prevHash,
      };
      const hash = auditEntryHash(content);
      rows.push({ ...content, hash, account_id: accountId, user_ids: userIdsOf(draft.resource) });
      prevHash = hash;
    }
    if (rows.length === 0) return 0;
    await manager.query(INSERT_ENTRIES, [JSON.stringify(rows), accountId, seq.toString(), prevHash]);
    return rows.length;
  }

  /** Entries of one account in seq order (oldest first) after the keyset, filtered. */
  async list(query: AuditListQuery): Promise<AuditEntry[]> {
    const { where, params } = this.filters(query);
    params.push(query.limit);
    const rows: AuditRowSql[] = await this.dataSource.query(
      `SELECT ${ROW_COLUMNS} FROM audit_events WHERE ${where.join(' AND ')} ORDER BY audit_events.seq LIMIT $${params.length}`,
      params,
    );
    return rows.map(entryOf);
  }

  /**
   * Streams the filtered entries in seq order from a server-side cursor (pg-query-stream, `batchSize` rows per
   * fetch): memory stays flat whatever the count, and a slow consumer pauses the reads (backpressure). The
   * connection is held until the iteration ends or is abandoned.
   */
  async *stream(query: Omit<AuditListQuery, 'limit'>, batchSize = 1000): AsyncGenerator<AuditEntry> {
    const { where, params } = this.filters({ ...query, limit: 0 });
    const runner = this.dataSource.createQueryRunner('slave');
    const client = (await runner.connect()) as PoolClient;
    const stream = client.query(new QueryStream(`SELECT ${ROW_COLUMNS} FROM audit_events WHERE ${where.join(' AND ')} ORDER BY audit_events.seq`, params, { batchSize }));
    try {
      for await (const row of stream as AsyncIterable<AuditRowSql>) yield entryOf(row);
    } finally {
      stream.destroy();
      await runner.release();
    }
  }

  /** The account's chain head as last committed. */
  async head(accountId: string): Promise<{ seq: string; hash: string | null }> {
    const rows: Array<{ seq: string; hash: string | null }> = await this.dataSource.query(
      `SELECT seq::text AS seq, hash FROM audit_chain_heads WHERE account_id = $1`,
      [accountId],
    );
    return rows[0] ?? { seq: '0', hash: null };
  }

  /** The entry at one seq of an account's chain (a checkpoint names it). */
  async entryAt(accountId: string, seq: string): Promise<AuditEntry | null> {
    const rows: AuditRowSql[] = await this.dataSource.query(`SELECT ${ROW_COLUMNS} FROM audit_events WHERE account_id = $1 AND seq = $2`, [accountId, seq]);
    return rows[0] ? entryOf(rows[0]) : null;
  }

  /**
   * Recomputes the chain from seq 1 (up to `untilSeq` when given) page by page: the first entry whose hash, prev_hash
   * or seq does not follow is named. Also checks the head row agrees with the last entry (a deleted tail).
   */
  async verify(accountId: string, untilSeq?: string): Promise<AuditVerification> {
    const verifier = new ChainVerifier();
    let after = '0';
    for (;;) {
      const rows: AuditRowSql[] = await this.dataSource.query(
        `SELECT ${ROW_COLUMNS} FROM audit_events WHERE account_id = $1 AND seq > $2 ${untilSeq ? 'AND seq <= $4' : ''} ORDER BY audit_events.seq LIMIT $3`,
        untilSeq ? [accountId, after, VERIFY_PAGE, untilSeq] : [accountId, after, VERIFY_PAGE],
      );
      for (const row of rows) if (!verifier.accept(entryOf(row))) break;
      if (verifier.broken || rows.length < VERIFY_PAGE) break;
      after = rows[rows.length - 1].seq;
    }
    const walked = verifier.head;
    let broken = verifier.broken;
    if (!broken && untilSeq === undefined) {
      const head = await this.head(accountId);
      // entries the head row counts are missing at the end (or the head was moved): name the first missing seq
      if (head.seq !== walked.seq || head.hash !== walked.hash) broken = { id: '', seq: (BigInt(walked.seq) + 1n).toString(), reason: 'seq_gap' };
    }
    if (!broken && untilSeq !== undefined && walked.seq !== untilSeq) broken = { id: '', seq: (BigInt(walked.seq) + 1n).toString(), reason: 'seq_gap' };
    return { ok: broken === null, checked: verifier.checked, head: walked, first_broken: broken };
  }

  private filters(query: AuditListQuery): { where: string[]; params: unknown[] } {
    const params: unknown[] = [query.accountId, query.workspaceId];
    const where = ['account_id = $1', 'workspace_id = $2'];
    const add = (sql: (n: number) => string, value: unknown): void => {
      params.push(value);
      where.push(sql(params.length));
    };
    if (query.userIds && query.userIds.length > 0) add((n) => `user_ids && $${n}::text[]`, query.userIds);
    if (query.types && query.types.length > 0) add((n) => `type = ANY($${n}::text[])`, query.types);
    if (query.actorType) add((n) => `actor->>'type' = $${n}`, query.actorType);
    if (query.actorId) add((n) => `actor->>'id' = $${n}`, query.actorId);
    if (query.since) add((n) => `occurred_at >= $${n}`, query.since);
    if (query.until) add((n) => `occurred_at < $${n}`, query.until);
    if (query.afterSeq) add((n) => `seq > $${n}::bigint`, query.afterSeq);
    return { where, params };
  }
}
