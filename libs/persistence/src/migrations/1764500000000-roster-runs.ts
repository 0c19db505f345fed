import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Desired-state roster sync (issue 13): per-account roster settings (exclusions), roster runs, the rows of an upload
 * while it is planned (staging, emptied once the plan is stored), and the plan's items, each becoming one operation.
 */
export class RosterRuns1764500000000 implements MigrationInterface {
  name = 'RosterRuns1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE roster_settings (
        account_id uuid PRIMARY KEY REFERENCES integrated_accounts(id) ON DELETE CASCADE,
        exclude jsonb NOT NULL DEFAULT '{}'::jsonb,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE roster_runs (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        account_id uuid NOT NULL REFERENCES integrated_accounts(id) ON DELETE CASCADE,
        status text NOT NULL CHECK (status IN ('planning', 'planned', 'refused', 'running', 'completed')),
        dry_run boolean NOT NULL,
        forced boolean NOT NULL,
        row_count integer NOT NULL DEFAULT 0,
        counts jsonb NOT NULL DEFAULT '{}'::jsonb,
        refusal jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX roster_runs_workspace_idx ON roster_runs (workspace_id, created_at DESC, id DESC)`);
    // one executing run per account: two rosters applied at once would fight over the same people
    await queryRunner.query(`CREATE UNIQUE INDEX roster_runs_one_running_idx ON roster_runs (account_id) WHERE status = 'running'`);
    await queryRunner.query(`CREATE INDEX roster_runs_running_idx ON roster_runs (created_at) WHERE status = 'running'`);
    await queryRunner.query(`
      CREATE UNLOGGED TABLE roster_rows (
        run_id uuid NOT NULL REFERENCES roster_runs(id) ON DELETE CASCADE,
        line integer NOT NULL,
        email_lower text NOT NULL,
        employee_number text,
        user_write jsonb NOT NULL,
        groups text[] NOT NULL,
        matched_seq bigint,
        PRIMARY KEY (run_id, line)
      )`);
    await queryRunner.query(`
      CREATE TABLE roster_run_items (
        run_id uuid NOT NULL REFERENCES roster_runs(id) ON DELETE CASCADE,
        item_no integer NOT NULL,
        action text NOT NULL,
        line integer,
        email text NOT NULL,
        user_id text,
        change jsonb NOT NULL,
        intent jsonb NOT NULL,
        operation_id uuid,
        PRIMARY KEY (run_id, item_no)
      )`);
    await queryRunner.query(`CREATE INDEX roster_run_items_pending_idx ON roster_run_items (run_id, item_no) WHERE operation_id IS NULL`);
    await queryRunner.query(`CREATE INDEX roster_run_items_operation_idx ON roster_run_items (operation_id) WHERE operation_id IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE roster_run_items`);
    await queryRunner.query(`DROP TABLE roster_rows`);
    await queryRunner.query(`DROP TABLE roster_runs`);
    await queryRunner.query(`DROP TABLE roster_settings`);
  }
}
