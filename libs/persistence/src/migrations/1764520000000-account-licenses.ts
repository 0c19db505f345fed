import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Offboarding and seats (issue 13): the seat figures of KnowBe4's GET /v1/account as the poller's last run read them
 * (so GET /integrated-accounts/{id}/licenses spends no KnowBe4 budget), who asked for an operation (`actor`), and an
 * index to find the write that archived a user.
 */
export class AccountLicenses1764520000000 implements MigrationInterface {
  name = 'AccountLicenses1764520000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE account_subscriptions (
        account_id uuid PRIMARY KEY REFERENCES integrated_accounts(id) ON DELETE CASCADE,
        number_of_seats integer,
        subscription_level text,
        subscription_end_date text,
        fetched_at timestamptz NOT NULL,
        sync_run_id uuid
      )`);
    // {type: 'api_key', id} | {type: 'admin'} | {type: 'roster', roster_run_id} | {type: 'automation', ...}; null: before this
    // column. Migration 1764510000000 (automations) adds it too; whichever runs first does, and its down() drops it.
    await queryRunner.query(`ALTER TABLE operations ADD COLUMN IF NOT EXISTS actor jsonb`);
    await queryRunner.query(
      `CREATE INDEX operations_user_archives_idx ON operations (account_id, target_key, finished_at DESC)
        WHERE status = 'succeeded'
          AND (kind = 'user.archive' OR (kind = 'user.update' AND request->'command'->'payload'->'changes'->>'status' = 'inactive'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX operations_user_archives_idx`);
    await queryRunner.query(`DROP TABLE account_subscriptions`);
  }
}
