import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ids each fingerprinted page held: a run of unchanged pages is then recorded as seen, several pages per
 * statement, from what is stored (same bytes, same ids) instead of from ids sent again.
 */
export class SyncPageFingerprintIds1764181000001 implements MigrationInterface {
  name = 'SyncPageFingerprintIds1764181000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE sync_page_fingerprints ADD COLUMN remote_ids bigint[] NOT NULL DEFAULT '{}'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE sync_page_fingerprints DROP COLUMN remote_ids`);
  }
}
