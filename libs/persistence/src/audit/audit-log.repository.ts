import type { PoolClient } from 'pg';
import QueryStream from 'pg-query-stream';
import type { DataSource, EntityManager } from 'typeorm';
import { PreparedStatement } from '../prepared-statement';
import type { OperationAttribution } from './audit-actor';
import { AuditChange, AuditEntry, auditEntryDigest, AuditEventType, AuditResource, ChainBreak, ChainVerifier } from './audit-chain';

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

/** An entry as ROW_COLUMNS reads it: the account under its column name, the time as pg parses timestamptz. */
type AuditRowSql = Omit<AuditEntry, 'integrated_account_id' | 'occurred_at'> & { account_id: string; occurred_at: Date };

const ROW_COLUMNS = `id, account_id, workspace_id, seq::text AS seq, occurred_at, type, resource, changes, actor, source, request_id, prev_hash, hash`;

/** One round trip per append (see the migration's audit_append): lock, head, attribution, chained inserts. */
const APPEND = new PreparedStatement<{ inserted: number }>('kb4_audit_append', `SELECT audit_append($1, $2, $3, $4, $5, $6::jsonb) AS inserted`);

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

/**
 * audit_append's entries parameter (JSON) for the drafts, or null when there are none: for a statement that appends
 * an operation's entries itself, in the same round trip as the rest of its outcome (see FINISH_CREATED_USER).
 */
export function auditEntriesParameter(accountId: string, drafts: readonly AuditDraft[], occurredAt: Date): string | null {
  if (drafts.length === 0) return null;
  const at = new Date(Math.floor(occurredAt.getTime())).toISOString();
  const entries = drafts.map((draft) => {
    // every member present (null when unset), so the entry the API shows is exactly the entry hashed
    const resource = { user: draft.resource.user ?? null, group: draft.resource.group ?? null };
    const content = { id: draft.id, integrated_account_id: accountId, occurred_at: at, type: draft.type, resource, changes: draft.changes };
    return { ...content, digest: auditEntryDigest(content), user_ids: userIdsOf(resource) };
  });
  return JSON.stringify(entries);
}

/** Page size of the verify walk: the chain is read in seq order, never held whole. */
const VERIFY_PAGE = 5000;

/**
 * The append-only, hash-chained audit log. Appends run inside the caller's transaction — the one that makes the
 * change — so an entry exists exactly when its change was committed. Reads are scoped by account and workspace.
 */
export class AuditLogRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Appends the drafts (in order) attributed to `attribution`'s actor and source (a sync run's observation, or an
   * operation whose actor the caller already knows). Drafts already recorded are skipped. Returns how many were new.
   */
  async append(manager: EntityManager, accountId: string, attribution: OperationAttribution, drafts: readonly AuditDraft[], occurredAt = new Date()): Promise<number> {
    const { actor, source } = attribution;
    return this.run(manager, [accountId, source.operation_id ?? null, actor.type, actor.id, source.sync_run_id ?? null], accountId, drafts, occurredAt);
  }

  /** As append, attributed to the operation that made the changes: its actor (API key and request, roster run, rules) is resolved in Postgres. */
  async appendForOperation(manager: EntityManager, accountId: string, operationId: string, drafts: readonly AuditDraft[], occurredAt = new Date()): Promise<number> {
    return this.run(manager, [accountId, operationId, null, null, null], accountId, drafts, occurredAt);
  }

  private async run(manager: EntityManager, head: unknown[], accountId: string, drafts: readonly AuditDraft[], occurredAt: Date): Promise<number> {
    const entries = auditEntriesParameter(accountId, drafts, occurredAt);
    if (entries === null) return 0;
    const [row] = await APPEND.run(manager, [...head, entries]);
    return row?.inserted ?? 0;
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
      `SELECT seq::text AS seq, hash FROM audit_events WHERE account_id = $1 ORDER BY audit_events.seq DESC LIMIT 1`,
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
   * or seq does not follow is named; with `untilSeq`, an entry missing up to it too.
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
    // entries cut off the end leave no trace in the chain itself: a checkpoint taken before is what proves them missing
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
