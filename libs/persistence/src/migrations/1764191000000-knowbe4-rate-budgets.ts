import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * KnowBe4 request budgets shared by every process that calls an account's Reporting API (gateway proxy and
 * read-through, poller): per budget key (a hash of region and key, never the key) the daily window and its count,
 * and the recently reserved request slots the rolling windows (4/s, 50/min) are checked against.
 */
export class Knowbe4RateBudgets1764191000000 implements MigrationInterface {
  name = 'Knowbe4RateBudgets1764191000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE knowbe4_rate_budgets (
        budget_key text PRIMARY KEY,
        daily_window_started_ms bigint,
        daily_used integer NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE knowbe4_rate_slots (
        budget_key text NOT NULL REFERENCES knowbe4_rate_budgets (budget_key) ON DELETE CASCADE,
        slot_ms bigint NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX knowbe4_rate_slots_key_slot_idx ON knowbe4_rate_slots (budget_key, slot_ms DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE knowbe4_rate_slots`);
    await queryRunner.query(`DROP TABLE knowbe4_rate_budgets`);
  }
}
