import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fleet scheduling (issue 16 points 2, 3, 5): the large lists (enrollments) and GET /account are read on cadences of
 * their own, so an account remembers when each was last read; a run records what it spent per phase and the day's
 * request plan of its account (`request_plan`); the claim query orders queued runs by how long they have been due.
 */
export class FleetScheduling1764650000000 implements MigrationInterface {
  name = 'FleetScheduling1764650000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE integrated_accounts ADD COLUMN enrollments_read_at timestamptz NULL, ADD COLUMN account_read_at timestamptz NULL`);
    await queryRunner.query(`ALTER TABLE sync_runs ADD COLUMN request_plan jsonb NULL`);
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS sync_runs_claimable_idx ON sync_runs (started_at) WHERE status IN ('queued', 'running', 'waiting_for_budget')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS sync_runs_claimable_idx`);
    await queryRunner.query(`ALTER TABLE sync_runs DROP COLUMN request_plan`);
    await queryRunner.query(`ALTER TABLE integrated_accounts DROP COLUMN account_read_at, DROP COLUMN enrollments_read_at`);
  }
}
