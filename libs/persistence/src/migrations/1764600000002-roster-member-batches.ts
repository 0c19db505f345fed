import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Membership items of a roster run that share a group and direction are grouped at plan time into batches (one
 * SCIM PATCH of the group per batch): each item keeps its own row and progress, the batch shares one operation.
 */
export class RosterMemberBatches1764600000002 implements MigrationInterface {
  name = 'RosterMemberBatches1764600000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE roster_run_items ADD COLUMN batch_no integer`);
    await queryRunner.query(`CREATE INDEX roster_run_items_batch_idx ON roster_run_items (run_id, batch_no) WHERE batch_no IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX roster_run_items_batch_idx`);
    await queryRunner.query(`ALTER TABLE roster_run_items DROP COLUMN batch_no`);
  }
}
