import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The provisioner's claim protocol (issue 16 point 4): an attempt is claimed with a lease token in a short statement,
 * SCIM is called outside any transaction, and the outcome is written only while the token still holds. A lease that
 * expired (its holder was killed or stalled) may be claimed by another delivery of the same command.
 */
export class OperationLeases1764640000000 implements MigrationInterface {
  name = 'OperationLeases1764640000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE operations ADD COLUMN lease_token uuid NULL, ADD COLUMN lease_expires_at timestamptz NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE operations DROP COLUMN lease_expires_at, DROP COLUMN lease_token`);
  }
}
