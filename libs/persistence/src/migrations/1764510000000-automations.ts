import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lifecycle automations (issue 13 points 2 and 3): per-account new-hire settings, ordered group mapping rules, the
 * new hires currently in the 'New Hires' group, every membership change automations made (flapping is counted from
 * it), conflicts reported instead of looped, the resumable "re-evaluate everyone" job, and the consumer's
 * de-duplication of Kafka events. `operations.actor` (jsonb) is added here too if absent (issue 14's audit reads it).
 */
export class Automations1764510000000 implements MigrationInterface {
  name = 'Automations1764510000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE operations ADD COLUMN IF NOT EXISTS actor jsonb`);
    await queryRunner.query(`
      CREATE TABLE automation_settings (
        account_id uuid PRIMARY KEY REFERENCES integrated_accounts(id) ON DELETE CASCADE,
        new_hires_enabled boolean NOT NULL DEFAULT false,
        new_hires_group_name text NOT NULL DEFAULT 'New Hires',
        new_hires_remove_after_days integer NOT NULL DEFAULT 30 CHECK (new_hires_remove_after_days BETWEEN 1 AND 3650),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE mapping_rules (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES integrated_accounts(id) ON DELETE CASCADE,
        name text NOT NULL,
        position integer NOT NULL,
        match text NOT NULL CHECK (match IN ('all', 'any')),
        conditions jsonb NOT NULL,
        effect text NOT NULL DEFAULT 'include' CHECK (effect IN ('include', 'exclude')),
        target_group_id text,
        target_group_name text,
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((target_group_id IS NULL) <> (target_group_name IS NULL))
      )`);
    await queryRunner.query(`CREATE INDEX mapping_rules_account_idx ON mapping_rules (account_id, position, id)`);
    await queryRunner.query(`
      CREATE TABLE new_hire_memberships (
        account_id uuid NOT NULL REFERENCES integrated_accounts(id) ON DELETE CASCADE,
        user_seq bigint NOT NULL,
        user_id text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        remove_after timestamptz NOT NULL,
        added_at timestamptz,
        removed_at timestamptz,
        PRIMARY KEY (account_id, user_seq)
      )`);
    await queryRunner.query(`CREATE INDEX new_hire_memberships_due_idx ON new_hire_memberships (remove_after) WHERE removed_at IS NULL`);
    await queryRunner.query(`
      CREATE TABLE automation_changes (
        id bigserial PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES integrated_accounts(id) ON DELETE CASCADE,
        user_seq bigint NOT NULL,
        group_seq bigint NOT NULL,
        action text NOT NULL CHECK (action IN ('add', 'remove')),
        operation_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX automation_changes_pair_idx ON automation_changes (account_id, user_seq, group_seq, created_at DESC)`);
    await queryRunner.query(`
      CREATE TABLE automation_conflicts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES integrated_accounts(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('rule_conflict', 'flapping')),
        user_seq bigint NOT NULL,
        user_id text NOT NULL,
        group_seq bigint NOT NULL,
        group_name text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}',
        occurrences integer NOT NULL DEFAULT 1,
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        resolved_at timestamptz,
        UNIQUE (account_id, kind, user_seq, group_seq)
      )`);
    await queryRunner.query(`CREATE INDEX automation_conflicts_list_idx ON automation_conflicts (account_id, last_seen_at DESC, id)`);
    await queryRunner.query(`
      CREATE TABLE automation_reevaluations (
        account_id uuid PRIMARY KEY REFERENCES integrated_accounts(id) ON DELETE CASCADE,
        generation integer NOT NULL DEFAULT 1,
        cursor_seq bigint NOT NULL DEFAULT 0,
        requested_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        lease_owner text,
        lease_expires_at timestamptz
      )`);
    await queryRunner.query(`
      CREATE TABLE automation_processed_events (
        event_id text PRIMARY KEY,
        processed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX automation_processed_events_age_idx ON automation_processed_events (processed_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['automation_processed_events', 'automation_reevaluations', 'automation_conflicts', 'automation_changes', 'new_hire_memberships', 'mapping_rules', 'automation_settings']) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
