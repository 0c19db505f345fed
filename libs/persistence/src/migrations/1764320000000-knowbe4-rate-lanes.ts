import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lanes in the shared KnowBe4 budget (issue 10, finding 4): each slot says whether a sync or an interactive caller
 * (proxy, read-through) took it, the day counts the interactive lane's share separately, and the budget remembers
 * when a sync last asked, so interactive callers leave a running sync its reserved share of every window.
 */
export class Knowbe4RateLanes1764320000000 implements MigrationInterface {
  name = 'Knowbe4RateLanes1764320000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE knowbe4_rate_slots ADD COLUMN lane text NOT NULL DEFAULT 'sync' CHECK (lane IN ('sync', 'interactive'))`);
    await queryRunner.query(`ALTER TABLE knowbe4_rate_budgets ADD COLUMN interactive_used integer NOT NULL DEFAULT 0`);
    await queryRunner.query(`ALTER TABLE knowbe4_rate_budgets ADD COLUMN sync_seen_ms bigint`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE knowbe4_rate_budgets DROP COLUMN sync_seen_ms`);
    await queryRunner.query(`ALTER TABLE knowbe4_rate_budgets DROP COLUMN interactive_used`);
    await queryRunner.query(`ALTER TABLE knowbe4_rate_slots DROP COLUMN lane`);
  }
}
