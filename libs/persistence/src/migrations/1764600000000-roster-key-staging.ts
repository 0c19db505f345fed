import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The roster planner plans each row as it is read and stages only its keys (line, email, employee number, groups,
 * matched mirror user) for the checks over the whole upload; the row's write body is no longer staged.
 */
export class RosterKeyStaging1764600000000 implements MigrationInterface {
  name = 'RosterKeyStaging1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // staging is transient (emptied when a plan is stored): nothing to carry over
    await queryRunner.query(`DELETE FROM roster_rows`);
    await queryRunner.query(`ALTER TABLE roster_rows DROP COLUMN user_write`);
    await queryRunner.query(`ALTER TABLE roster_rows ADD COLUMN unchanged boolean NOT NULL DEFAULT false`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM roster_rows`);
    await queryRunner.query(`ALTER TABLE roster_rows DROP COLUMN unchanged`);
    await queryRunner.query(`ALTER TABLE roster_rows ADD COLUMN user_write jsonb NOT NULL`);
  }
}
