import type { DataSource, EntityManager } from 'typeorm';

type Queryable = Pick<EntityManager, 'query'>;

export interface AutomationSettings {
  newHiresEnabled: boolean;
  newHiresGroupName: string;
  newHiresRemoveAfterDays: number;
  updatedAt: Date | null;
}

export const DEFAULT_AUTOMATION_SETTINGS: AutomationSettings = {
  newHiresEnabled: false,
  newHiresGroupName: 'New Hires',
  newHiresRemoveAfterDays: 30,
  updatedAt: null,
};

export interface StoredCondition {
  attribute: string;
  operator: string;
  value?: string | null;
  values?: string[] | null;
}

export interface MappingRuleRow {
  id: string;
  accountId: string;
  name: string;
  position: number;
  match: 'all' | 'any';
  conditions: StoredCondition[];
  effect: 'include' | 'exclude';
  targetGroupId: string | null;
  targetGroupName: string | null;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export type MappingRuleInput = Omit<MappingRuleRow, 'id' | 'accountId' | 'createdAt' | 'updatedAt' | 'position'> & { position?: number };

export interface AutomationConflictRow {
  id: string;
  kind: 'rule_conflict' | 'flapping';
  userId: string;
  groupSeq: string;
  groupName: string;
  details: Record<string, unknown>;
  occurrences: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
  resolvedAt: Date | null;
}

const RULE_COLUMNS = `id, account_id AS "accountId", name, position, match, conditions, effect, target_group_id AS "targetGroupId",
  target_group_name AS "targetGroupName", enabled, created_at AS "createdAt", updated_at AS "updatedAt"`;

const CONFLICT_COLUMNS = `id, kind, user_id AS "userId", group_seq::text AS "groupSeq", group_name AS "groupName", details, occurrences,
  first_seen_at AS "firstSeenAt", last_seen_at AS "lastSeenAt", resolved_at AS "resolvedAt"`;

/** Per-account automation settings, mapping rules and reported conflicts: what the API edits and the automations app reads. */
export class AutomationConfigRepository {
  constructor(private readonly dataSource: DataSource) {}

  async settings(accountId: string, db: Queryable = this.dataSource): Promise<AutomationSettings> {
    const rows: AutomationSettings[] = await db.query(
      `SELECT new_hires_enabled AS "newHiresEnabled", new_hires_group_name AS "newHiresGroupName",
              new_hires_remove_after_days AS "newHiresRemoveAfterDays", updated_at AS "updatedAt"
         FROM automation_settings WHERE account_id = $1`,
      [accountId],
    );
    return rows[0] ?? { ...DEFAULT_AUTOMATION_SETTINGS };
  }

  async saveSettings(accountId: string, settings: Omit<AutomationSettings, 'updatedAt'>): Promise<AutomationSettings> {
    await this.dataSource.query(
      `INSERT INTO automation_settings (account_id, new_hires_enabled, new_hires_group_name, new_hires_remove_after_days)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (account_id) DO UPDATE SET new_hires_enabled = EXCLUDED.new_hires_enabled,
         new_hires_group_name = EXCLUDED.new_hires_group_name, new_hires_remove_after_days = EXCLUDED.new_hires_remove_after_days,
         updated_at = now()`,
      [accountId, settings.newHiresEnabled, settings.newHiresGroupName, settings.newHiresRemoveAfterDays],
    );
    return this.settings(accountId);
  }

  /** In evaluation order: position, then id. */
  listRules(accountId: string, db: Queryable = this.dataSource): Promise<MappingRuleRow[]> {
    return db.query(`SELECT ${RULE_COLUMNS} FROM mapping_rules WHERE account_id = $1 ORDER BY position, id`, [accountId]);
  }

  async findRule(accountId: string, id: string): Promise<MappingRuleRow | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    const rows: MappingRuleRow[] = await this.dataSource.query(`SELECT ${RULE_COLUMNS} FROM mapping_rules WHERE account_id = $1 AND id = $2`, [accountId, id]);
    return rows[0] ?? null;
  }

  /** A new rule (last unless a position is given) and a re-evaluation of everyone, in one transaction. */
  async createRule(accountId: string, input: MappingRuleInput): Promise<MappingRuleRow> {
    return this.dataSource.transaction(async (manager) => {
      const rows: MappingRuleRow[] = await manager.query(
        `INSERT INTO mapping_rules (account_id, name, position, match, conditions, effect, target_group_id, target_group_name, enabled)
         VALUES ($1, $2, COALESCE($3, (SELECT COALESCE(max(position), 0) + 1 FROM mapping_rules WHERE account_id = $1)), $4, $5, $6, $7, $8, $9)
         RETURNING ${RULE_COLUMNS}`,
        [accountId, input.name, input.position ?? null, input.match, JSON.stringify(input.conditions), input.effect, input.targetGroupId, input.targetGroupName, input.enabled],
      );
      await this.requestReevaluation(accountId, manager);
      return rows[0];
    });
  }

  /** The rule after the change (and a re-evaluation of everyone), or null when it is not this account's. */
  async updateRule(accountId: string, id: string, rule: MappingRuleInput & { position: number }): Promise<MappingRuleRow | null> {
    return this.dataSource.transaction(async (manager) => {
      const [rows]: [MappingRuleRow[], number] = await manager.query(
        `UPDATE mapping_rules SET name = $3, position = $4, match = $5, conditions = $6, effect = $7, target_group_id = $8,
                target_group_name = $9, enabled = $10, updated_at = now()
          WHERE account_id = $1 AND id = $2 RETURNING ${RULE_COLUMNS}`,
        [accountId, id, rule.name, rule.position, rule.match, JSON.stringify(rule.conditions), rule.effect, rule.targetGroupId, rule.targetGroupName, rule.enabled],
      );
      if (rows.length === 0) return null;
      await this.requestReevaluation(accountId, manager);
      return rows[0];
    });
  }

  async deleteRule(accountId: string, id: string): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const [rows]: [unknown[], number] = await manager.query(`DELETE FROM mapping_rules WHERE account_id = $1 AND id = $2 RETURNING id`, [accountId, id]);
      if (rows.length === 0) return false;
      await this.requestReevaluation(accountId, manager);
      return true;
    });
  }

  /** Everyone of the account is evaluated again once (from the first user; an unfinished pass restarts). */
  async requestReevaluation(accountId: string, db: Queryable = this.dataSource): Promise<void> {
    await db.query(
      `INSERT INTO automation_reevaluations (account_id) VALUES ($1)
       ON CONFLICT (account_id) DO UPDATE SET generation = automation_reevaluations.generation + 1, cursor_seq = 0,
         requested_at = now(), finished_at = NULL`,
      [accountId],
    );
  }

  /**
   * Marks a conflict resolved (and everyone to be evaluated again): a frozen flapping pair is changed again, its
   * count starting afresh. Null when it is not this account's or was resolved already.
   */
  async resolveConflict(accountId: string, id: string): Promise<AutomationConflictRow | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    return this.dataSource.transaction(async (manager) => {
      const [rows]: [AutomationConflictRow[], number] = await manager.query(
        `UPDATE automation_conflicts SET resolved_at = now() WHERE account_id = $1 AND id = $2 AND resolved_at IS NULL RETURNING ${CONFLICT_COLUMNS}`,
        [accountId, id],
      );
      if (rows.length === 0) return null;
      await this.requestReevaluation(accountId, manager);
      return rows[0];
    });
  }

  /** Reported conflicts, most recent first, keyset-paged by (last_seen_at, id). */
  listConflicts(accountId: string, query: { limit: number; before?: { lastSeenAt: Date; id: string }; includeResolved?: boolean }): Promise<AutomationConflictRow[]> {
    return this.dataSource.query(
      `SELECT ${CONFLICT_COLUMNS} FROM automation_conflicts
        WHERE account_id = $1 AND ($2::boolean OR resolved_at IS NULL)
          AND ($3::timestamptz IS NULL OR (last_seen_at, id) < ($3::timestamptz, $4::uuid))
        ORDER BY last_seen_at DESC, id DESC LIMIT $5`,
      [accountId, query.includeResolved ?? false, query.before?.lastSeenAt ?? null, query.before?.id ?? null, query.limit],
    );
  }
}
