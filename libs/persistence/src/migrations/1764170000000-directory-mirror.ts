import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The directory mirror (what the gateway serves and the poller diffs against), sync runs, the transactional
 * outbox, and provisioning operations.
 *
 * Mirror rows have a surrogate `seq` that never changes: it is the keyset for pagination that never skips or
 * repeats. `remote_id` (the Reporting id) is null for a user created through SCIM that no sync has seen yet;
 * such a row is addressable by its `scim_id`.
 */
export class DirectoryMirror1764170000000 implements MigrationInterface {
  name = 'DirectoryMirror1764170000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE directory_users (
        seq bigserial PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES integrated_accounts(id) ON DELETE CASCADE,
        remote_id bigint,
        scim_id text,
        provisioning_guid text,
        email_lower text,
        employee_number text,
        status text NOT NULL CHECK (status IN ('active', 'inactive')),
        first_name text,
        last_name text,
        department text,
        record jsonb NOT NULL,
        remote_data jsonb,
        content_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        last_seen_run_id uuid
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX directory_users_remote_idx ON directory_users (account_id, remote_id) WHERE remote_id IS NOT NULL`);
    await queryRunner.query(`CREATE UNIQUE INDEX directory_users_scim_idx ON directory_users (account_id, scim_id) WHERE scim_id IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX directory_users_guid_idx ON directory_users (account_id, provisioning_guid) WHERE provisioning_guid IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX directory_users_email_idx ON directory_users (account_id, email_lower)`);
    await queryRunner.query(`CREATE INDEX directory_users_employee_idx ON directory_users (account_id, employee_number) WHERE employee_number IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX directory_users_status_idx ON directory_users (account_id, status, seq)`);
    await queryRunner.query(`CREATE INDEX directory_users_updated_idx ON directory_users (account_id, updated_at, seq)`);

    await queryRunner.query(`
      CREATE TABLE directory_groups (
        seq bigserial PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES integrated_accounts(id) ON DELETE CASCADE,
        remote_id bigint,
        scim_id text,
        name text NOT NULL,
        record jsonb NOT NULL,
        remote_data jsonb,
        content_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        last_seen_run_id uuid
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX directory_groups_remote_idx ON directory_groups (account_id, remote_id) WHERE remote_id IS NOT NULL`);
    await queryRunner.query(`CREATE UNIQUE INDEX directory_groups_scim_idx ON directory_groups (account_id, scim_id) WHERE scim_id IS NOT NULL`);

    await queryRunner.query(`
      CREATE TABLE directory_group_members (
        account_id uuid NOT NULL REFERENCES integrated_accounts(id) ON DELETE CASCADE,
        group_remote_id bigint NOT NULL,
        user_remote_id bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen_run_id uuid,
        PRIMARY KEY (account_id, group_remote_id, user_remote_id)
      )`);
    await queryRunner.query(`CREATE INDEX directory_group_members_user_idx ON directory_group_members (account_id, user_remote_id)`);

    await queryRunner.query(`
      CREATE TABLE directory_enrollments (
        account_id uuid NOT NULL REFERENCES integrated_accounts(id) ON DELETE CASCADE,
        remote_id bigint NOT NULL,
        user_remote_id bigint,
        content_hash text NOT NULL,
        record jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        last_seen_run_id uuid,
        PRIMARY KEY (account_id, remote_id)
      )`);

    await queryRunner.query(`
      CREATE TABLE sync_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES integrated_accounts(id) ON DELETE CASCADE,
        status text NOT NULL CHECK (status IN ('queued', 'running', 'waiting_for_budget', 'completed', 'failed')),
        trigger text NOT NULL DEFAULT 'schedule',
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        resume_at timestamptz,
        pages integer NOT NULL DEFAULT 0,
        requests integer NOT NULL DEFAULT 0,
        counts jsonb NOT NULL DEFAULT '{}'::jsonb,
        checkpoint jsonb,
        error text,
        lease_owner text,
        lease_expires_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX sync_runs_account_idx ON sync_runs (account_id, started_at DESC)`);
    await queryRunner.query(`CREATE UNIQUE INDEX sync_runs_one_active_idx ON sync_runs (account_id) WHERE status IN ('queued', 'running', 'waiting_for_budget')`);
    await queryRunner.query(`ALTER TABLE integrated_accounts ADD COLUMN last_sync_completed_at timestamptz`);

    await queryRunner.query(`
      CREATE TABLE outbox_events (
        seq bigserial PRIMARY KEY,
        event_id uuid NOT NULL,
        topic text NOT NULL,
        message_key text NOT NULL,
        event_type text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX outbox_events_event_idx ON outbox_events (topic, event_id)`);
    await queryRunner.query(`CREATE INDEX outbox_events_pending_idx ON outbox_events (seq) WHERE published_at IS NULL`);

    await queryRunner.query(`
      CREATE TABLE operations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        account_id uuid NOT NULL REFERENCES integrated_accounts(id) ON DELETE CASCADE,
        kind text NOT NULL,
        status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        target_key text NOT NULL,
        request jsonb NOT NULL,
        result jsonb,
        error jsonb,
        idempotency_key text,
        request_hash text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX operations_idempotency_idx ON operations (workspace_id, account_id, idempotency_key) WHERE idempotency_key IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX operations_workspace_status_idx ON operations (workspace_id, status, created_at)`);

    await queryRunner.query(`
      CREATE TABLE processed_commands (
        command_id uuid PRIMARY KEY,
        operation_id uuid NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['processed_commands', 'operations', 'outbox_events', 'sync_runs', 'directory_enrollments', 'directory_group_members', 'directory_groups', 'directory_users']) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
    await queryRunner.query(`ALTER TABLE integrated_accounts DROP COLUMN last_sync_completed_at`);
  }
}
