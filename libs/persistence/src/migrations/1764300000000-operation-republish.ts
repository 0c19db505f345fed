import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The operation reconciler (issue 10): how often an operation's command was re-published from Postgres and when
 * it may be again (per-operation backoff), and an index over the unfinished operations it scans by age.
 */
export class OperationRepublish1764300000000 implements MigrationInterface {
  name = 'OperationRepublish1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE operations ADD COLUMN republish_count integer NOT NULL DEFAULT 0`);
    await queryRunner.query(`ALTER TABLE operations ADD COLUMN republish_after timestamptz NULL`);
    await queryRunner.query(`CREATE INDEX operations_unfinished_idx ON operations (updated_at) WHERE status IN ('queued', 'running')`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX operations_unfinished_idx`);
    await queryRunner.query(`ALTER TABLE operations DROP COLUMN republish_after`);
    await queryRunner.query(`ALTER TABLE operations DROP COLUMN republish_count`);
  }
}
