import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The provisioner applies the unfinished, older operations of the same user or group before a newer one (issue 10:
 * a command lost with a broker must not be applied after a later write it would overwrite): an index over the
 * unfinished operations by target.
 */
export class OperationPredecessors1764330000000 implements MigrationInterface {
  name = 'OperationPredecessors1764330000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX operations_unfinished_target_idx ON operations (account_id, target_key, created_at, id) WHERE status IN ('queued', 'running')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX operations_unfinished_target_idx`);
  }
}
