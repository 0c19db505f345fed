import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The custom fields a roster run last wrote per user (issue 13): KnowBe4's Reporting records may not carry them, so
 * without these a roster with custom fields would plan the same update on every push.
 */
export class RosterCustomFields1764600000001 implements MigrationInterface {
  name = 'RosterCustomFields1764600000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE roster_custom_fields (
        account_id uuid NOT NULL REFERENCES integrated_accounts(id) ON DELETE CASCADE,
        email_lower text NOT NULL,
        custom_fields jsonb NOT NULL,
        written_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account_id, email_lower)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE roster_custom_fields`);
  }
}
