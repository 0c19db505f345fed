import type { DataSource, EntityManager } from 'typeorm';
import { commandMessage } from '../operations/operation-republish';
import { storedRequestOf, type WriteIntent } from '../operations/write-intents';
import { OutboxRepository } from '../outbox/outbox.repository';

type Queryable = Pick<EntityManager, 'query'>;

/** A mirror user as rules see it; `id` is how commands address it (Reporting id, else SCIM id). */
export interface AutomationUser {
  seq: string;
  id: string;
  remoteId: string | null;
  status: 'active' | 'inactive';
  record: Record<string, unknown>;
}

export interface AutomationGroup {
  seq: string;
  /** Reporting id, else SCIM id. */
  id: string;
  remoteId: string | null;
  scimId: string | null;
  name: string;
  smart: boolean;
}

export interface AutomationCommand {
  operationId: string;
  intent: WriteIntent;
  actor: Record<string, unknown>;
  /** Replays of the same key make no second operation (a group create requested twice). */
  idempotencyKey?: string;
  /** The (user, group) change this command makes, counted for flapping. */
  change?: { userSeq: string; groupSeq: string; action: 'add' | 'remove' };
}

export interface PairHistory {
  /** Changes automations made to the pair within the window. */
  recent: number;
  lastAction: 'add' | 'remove' | null;
  /** Status of the last change's operation. */
  lastStatus: string | null;
}

export interface ReevaluationClaim {
  accountId: string;
  generation: number;
  cursorSeq: string;
}

const USER_COLUMNS = `seq::text AS seq, COALESCE(remote_id::text, scim_id) AS id, remote_id::text AS "remoteId", status, record`;
const GROUP_COLUMNS = `seq::text AS seq, COALESCE(remote_id::text, scim_id) AS id, remote_id::text AS "remoteId", scim_id AS "scimId", name,
  COALESCE(record->>'type' = 'smart_group', false) AS smart`;

/** The automations app's state: mirror reads for evaluation, commands with their change log, conflicts, new hires, jobs. */
export class AutomationStateRepository {
  private readonly outbox: OutboxRepository;

  constructor(private readonly dataSource: DataSource) {
    this.outbox = new OutboxRepository(dataSource);
  }

  /** Whether an event was handled already (Kafka delivers at least once); marked only after its commands are stored. */
  async isProcessed(eventId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM automation_processed_events WHERE event_id = $1`, [eventId]);
    return rows.length > 0;
  }

  async markProcessed(eventId: string): Promise<void> {
    await this.dataSource.query(`INSERT INTO automation_processed_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING`, [eventId]);
  }

  /** A user by Reporting or SCIM id. */
  async findUser(accountId: string, id: string): Promise<AutomationUser | null> {
    const rows: AutomationUser[] = await this.dataSource.query(
      `SELECT ${USER_COLUMNS} FROM directory_users
        WHERE account_id = $1 AND (scim_id = $2 OR ($3::bigint IS NOT NULL AND remote_id = $3::bigint)) AND (remote_id IS NOT NULL OR scim_id IS NOT NULL)
        ORDER BY remote_id NULLS LAST LIMIT 1`,
      [accountId, id, /^\d{1,18}$/.test(id) ? id : null],
    );
    return rows[0] ?? null;
  }

  pageUsers(accountId: string, afterSeq: string, limit: number): Promise<AutomationUser[]> {
    return this.dataSource.query(
      `SELECT ${USER_COLUMNS} FROM directory_users WHERE account_id = $1 AND seq > $2::bigint AND (remote_id IS NOT NULL OR scim_id IS NOT NULL)
        ORDER BY seq LIMIT $3`,
      [accountId, afterSeq, limit],
    );
  }

  /** Groups of the account by id (Reporting or SCIM) or by name, case-insensitively. */
  async groupsOf(accountId: string): Promise<AutomationGroup[]> {
    return this.dataSource.query(`SELECT ${GROUP_COLUMNS} FROM directory_groups WHERE account_id = $1 AND (remote_id IS NOT NULL OR scim_id IS NOT NULL)`, [accountId]);
  }

  /**
   * The groups (seq) a user is in: the membership table for a user a sync has seen (the provisioner keeps it current
   * after each membership write), else the groups its record lists with automations' own succeeded changes applied
   * (a user created through us, not yet synced: the provisioner cannot record its memberships before a sync).
   */
  async groupSeqsOf(accountId: string, user: AutomationUser): Promise<Set<string>> {
    const seqs = await this.recordedGroupSeqsOf(accountId, user);
    if (user.remoteId) return seqs;
    const changes: Array<{ group: string; action: 'add' | 'remove' }> = await this.dataSource.query(
      `SELECT DISTINCT ON (c.group_seq) c.group_seq::text AS group, c.action FROM automation_changes c
         JOIN operations o ON o.id = c.operation_id AND o.status = 'succeeded'
        WHERE c.account_id = $1 AND c.user_seq = $2 ORDER BY c.group_seq, c.created_at DESC, c.id DESC`,
      [accountId, user.seq],
    );
    for (const change of changes) {
      if (change.action === 'add') seqs.add(change.group);
      else seqs.delete(change.group);
    }
    return seqs;
  }

  private async recordedGroupSeqsOf(accountId: string, user: AutomationUser): Promise<Set<string>> {
    const rows: Array<{ seq: string }> = user.remoteId
      ? await this.dataSource.query(
          `SELECT g.seq::text AS seq FROM directory_group_members m
             JOIN directory_groups g ON g.account_id = m.account_id AND g.remote_id = m.group_remote_id
            WHERE m.account_id = $1 AND m.user_remote_id = $2::bigint`,
          [accountId, user.remoteId],
        )
      : await this.dataSource.query(
          `SELECT g.seq::text AS seq FROM directory_groups g
            WHERE g.account_id = $1 AND (g.remote_id::text = ANY($2::text[]) OR g.scim_id = ANY($2::text[]))`,
          [accountId, Array.isArray(user.record.groups) ? (user.record.groups as Array<{ id?: unknown }>).map((group) => String(group?.id)) : []],
        );
    return new Set(rows.map((row) => row.seq));
  }

  /** groupSeqsOf for a page of users at once (previews): one query for the users a sync has seen. */
  async groupSeqsOfPage(accountId: string, users: readonly AutomationUser[]): Promise<Map<string, Set<string>>> {
    const result = new Map<string, Set<string>>(users.map((user) => [user.seq, new Set<string>()]));
    const synced = users.filter((user) => user.remoteId);
    const bySeq = new Map(synced.map((user) => [user.remoteId!, user.seq]));
    const rows: Array<{ user: string; seq: string }> = synced.length
      ? await this.dataSource.query(
          `SELECT m.user_remote_id::text AS user, g.seq::text AS seq FROM directory_group_members m
             JOIN directory_groups g ON g.account_id = m.account_id AND g.remote_id = m.group_remote_id
            WHERE m.account_id = $1 AND m.user_remote_id = ANY($2::bigint[])`,
          [accountId, synced.map((user) => user.remoteId)],
        )
      : [];
    for (const row of rows) result.get(bySeq.get(row.user)!)?.add(row.seq);
    for (const user of users.filter((candidate) => !candidate.remoteId)) result.set(user.seq, await this.groupSeqsOf(accountId, user));
    return result;
  }

  /** What automations did to one (user, group) pair lately: counted for flapping, and the last change's progress. */
  async pairHistory(accountId: string, userSeq: string, groupSeq: string, windowSeconds: number): Promise<PairHistory> {
    const rows: Array<{ recent: string; action: 'add' | 'remove' | null; status: string | null }> = await this.dataSource.query(
      `SELECT (SELECT count(*) FROM automation_changes WHERE account_id = $1 AND user_seq = $2 AND group_seq = $3
                  AND created_at > now() - make_interval(secs => $4)
                  -- a resolved flapping conflict starts the count afresh
                  AND created_at > COALESCE((SELECT max(resolved_at) FROM automation_conflicts WHERE account_id = $1 AND kind = 'flapping'
                                               AND user_seq = $2 AND group_seq = $3), '-infinity')) AS recent,
              last.action, o.status
         FROM (SELECT 1) one
         LEFT JOIN LATERAL (SELECT action, operation_id FROM automation_changes WHERE account_id = $1 AND user_seq = $2 AND group_seq = $3
                             ORDER BY created_at DESC, id DESC LIMIT 1) last ON true
         LEFT JOIN operations o ON o.id = last.operation_id`,
      [accountId, userSeq, groupSeq, windowSeconds],
    );
    return { recent: Number(rows[0]?.recent ?? 0), lastAction: rows[0]?.action ?? null, lastStatus: rows[0]?.status ?? null };
  }

  /**
   * Operations (actor set), their commands and the change log in one transaction. Returns the operations created
   * (an idempotency key used before creates nothing).
   */
  async recordCommands(accountId: string, commands: readonly AutomationCommand[]): Promise<string[]> {
    if (commands.length === 0) return [];
    return this.dataSource.transaction(async (manager) => {
      const created: string[] = [];
      for (const command of commands) {
        const stored = storedRequestOf(command.intent);
        const rows: Array<{ id: string }> = await manager.query(
          `INSERT INTO operations (id, workspace_id, account_id, kind, status, attempts, target_key, request, idempotency_key, actor)
           SELECT $1, a.workspace_id, a.id, $3, 'queued', 0, $4, $5, $6, $7 FROM integrated_accounts a WHERE a.id = $2
           ON CONFLICT (workspace_id, account_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
           RETURNING id`,
          [command.operationId, accountId, command.intent.kind, command.intent.key, JSON.stringify(stored), command.idempotencyKey ?? null, JSON.stringify(command.actor)],
        );
        if (rows.length === 0) continue;
        await this.outbox.enqueue(manager, [commandMessage({ id: command.operationId, accountId }, stored.command, 1)]);
        if (command.change) {
          await manager.query(
            `INSERT INTO automation_changes (account_id, user_seq, group_seq, action, operation_id) VALUES ($1, $2, $3, $4, $5)`,
            [accountId, command.change.userSeq, command.change.groupSeq, command.change.action, command.operationId],
          );
        }
        created.push(command.operationId);
      }
      return created;
    });
  }

  /** Records (or counts again) a conflict; true when it is new or was resolved before. */
  async reportConflict(
    accountId: string,
    conflict: { kind: 'rule_conflict' | 'flapping'; userSeq: string; userId: string; groupSeq: string; groupName: string; details: Record<string, unknown> },
  ): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO automation_conflicts (account_id, kind, user_seq, user_id, group_seq, group_name, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (account_id, kind, user_seq, group_seq) DO UPDATE SET occurrences = automation_conflicts.occurrences + 1,
         last_seen_at = now(), details = EXCLUDED.details, resolved_at = NULL`,
      [accountId, conflict.kind, conflict.userSeq, conflict.userId, conflict.groupSeq, conflict.groupName, JSON.stringify(conflict.details)],
    );
  }

  /** An open flapping conflict freezes its pair: automations leave it alone until the conflict is resolved. */
  async isFrozen(accountId: string, userSeq: string, groupSeq: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM automation_conflicts WHERE account_id = $1 AND kind = 'flapping' AND user_seq = $2 AND group_seq = $3 AND resolved_at IS NULL`,
      [accountId, userSeq, groupSeq],
    );
    return rows.length > 0;
  }

  /** A rule conflict of a pair that no longer fights is resolved. */
  async resolveRuleConflicts(accountId: string, userSeq: string, stillConflicted: readonly string[], db: Queryable = this.dataSource): Promise<void> {
    await db.query(
      `UPDATE automation_conflicts SET resolved_at = now()
        WHERE account_id = $1 AND kind = 'rule_conflict' AND user_seq = $2 AND resolved_at IS NULL AND NOT (group_seq::text = ANY($3::text[]))`,
      [accountId, userSeq, stillConflicted],
    );
  }

  /** Whether a user update operation set status active (a reactivation through the API or a roster). */
  async operationSetsActive(operationId: string): Promise<boolean> {
    if (!/^[0-9a-f-]{36}$/i.test(operationId)) return false;
    const rows: Array<{ active: boolean }> = await this.dataSource.query(
      `SELECT (request->'command'->'payload'->'changes'->>'status') = 'active' AS active FROM operations WHERE id = $1`,
      [operationId],
    );
    return rows[0]?.active === true;
  }

  /** Starts (or restarts, for a returning user) a new hire's period; false when one is already running. */
  async startNewHire(accountId: string, user: { seq: string; id: string }, removeAfterDays: number): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO new_hire_memberships (account_id, user_seq, user_id, remove_after) VALUES ($1, $2, $3, now() + make_interval(days => $4))
       ON CONFLICT (account_id, user_seq) DO UPDATE SET started_at = now(), remove_after = EXCLUDED.remove_after, removed_at = NULL,
         added_at = NULL, user_id = EXCLUDED.user_id
        WHERE new_hire_memberships.removed_at IS NOT NULL
       RETURNING user_seq`,
      [accountId, user.seq, user.id, removeAfterDays],
    );
    return rows.length > 0;
  }

  /** `active` within a new hire's period, `ended` after it (automations added them, so automations remove them), else null. */
  async newHireState(accountId: string, userSeq: string): Promise<'active' | 'ended' | null> {
    const rows: Array<{ active: boolean }> = await this.dataSource.query(
      `SELECT (removed_at IS NULL AND remove_after > now()) AS active FROM new_hire_memberships WHERE account_id = $1 AND user_seq = $2`,
      [accountId, userSeq],
    );
    return rows.length === 0 ? null : rows[0].active ? 'active' : 'ended';
  }

  /** New hires whose period ended, marked removed in the same statement (the caller sends their removals). */
  async takeExpiredNewHires(limit: number): Promise<Array<{ accountId: string; userSeq: string; userId: string }>> {
    // an UPDATE … RETURNING answers [rows, count]
    const [rows]: [Array<{ accountId: string; userSeq: string; userId: string }>, number] = await this.dataSource.query(
      `UPDATE new_hire_memberships n SET removed_at = now()
        WHERE (n.account_id, n.user_seq) IN (SELECT account_id, user_seq FROM new_hire_memberships
                                              WHERE removed_at IS NULL AND remove_after <= now() ORDER BY remove_after LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING n.account_id AS "accountId", n.user_seq::text AS "userSeq", n.user_id AS "userId"`,
      [limit],
    );
    return rows;
  }

  /** The next account whose users must all be evaluated again, leased to `owner`. */
  async claimReevaluation(owner: string, leaseSeconds: number): Promise<ReevaluationClaim | null> {
    const [rows]: [ReevaluationClaim[], number] = await this.dataSource.query(
      `UPDATE automation_reevaluations r SET lease_owner = $1, lease_expires_at = now() + make_interval(secs => $2)
        WHERE r.account_id = (SELECT account_id FROM automation_reevaluations
                               WHERE finished_at IS NULL AND (lease_owner IS NULL OR lease_expires_at < now() OR lease_owner = $1)
                               ORDER BY requested_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING r.account_id AS "accountId", r.generation, r.cursor_seq::text AS "cursorSeq"`,
      [owner, leaseSeconds],
    );
    return rows[0] ?? null;
  }

  /** Progress of a pass (resumable from cursorSeq); a newer request (another generation) is left untouched. */
  async advanceReevaluation(claim: ReevaluationClaim, cursorSeq: string, finished: boolean): Promise<boolean> {
    const [rows]: [unknown[], number] = await this.dataSource.query(
      `UPDATE automation_reevaluations SET cursor_seq = $3, finished_at = CASE WHEN $4 THEN now() END,
              lease_owner = CASE WHEN $4 THEN NULL ELSE lease_owner END,
              lease_expires_at = CASE WHEN $4 THEN NULL ELSE lease_expires_at END
        WHERE account_id = $1 AND generation = $2 RETURNING account_id`,
      [claim.accountId, claim.generation, cursorSeq, finished],
    );
    return rows.length > 0;
  }

  /** Old de-duplication marks (Kafka redelivers within hours, not weeks). */
  async pruneProcessedEvents(olderThanDays: number): Promise<void> {
    await this.dataSource.query(`DELETE FROM automation_processed_events WHERE processed_at < now() - make_interval(days => $1)`, [olderThanDays]);
  }
}
