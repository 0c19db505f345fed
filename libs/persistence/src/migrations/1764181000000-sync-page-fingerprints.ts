import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The fingerprint (sha1 of the raw response body) of each list page an account's last sync committed, with a
 * digest of the mirror rows of that page's ids as they were right after the commit. A page whose bytes and
 * mirror rows are both unchanged is recorded as seen without hashing or diffing any record of it.
 */
export class SyncPageFingerprints1764181000000 implements MigrationInterface {
  name = 'SyncPageFingerprints1764181000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE sync_page_fingerprints (
        account_id uuid NOT NULL REFERENCES integrated_accounts(id) ON DELETE CASCADE,
        phase text NOT NULL,
        page integer NOT NULL,
        fingerprint text NOT NULL,
        mirror_digest text,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account_id, phase, page)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE sync_page_fingerprints`);
  }
}
