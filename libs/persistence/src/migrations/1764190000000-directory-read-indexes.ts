import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the gateway's keyset pages over the mirror: every list is `account_id = $1 … ORDER BY <key>, seq`,
 * so each supported sort and the common filters get an (account_id, key, seq) index.
 */
export class DirectoryReadIndexes1764190000000 implements MigrationInterface {
  name = 'DirectoryReadIndexes1764190000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX directory_users_account_seq_idx ON directory_users (account_id, seq)`);
    await queryRunner.query(`CREATE INDEX directory_users_first_name_sort_idx ON directory_users (account_id, (coalesce(first_name, '')), seq)`);
    await queryRunner.query(`CREATE INDEX directory_users_last_name_sort_idx ON directory_users (account_id, (coalesce(last_name, '')), seq)`);
    await queryRunner.query(`CREATE INDEX directory_users_email_sort_idx ON directory_users (account_id, (coalesce(email_lower, '')), seq)`);
    await queryRunner.query(`CREATE INDEX directory_users_department_idx ON directory_users (account_id, department, seq) WHERE department IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX directory_groups_account_seq_idx ON directory_groups (account_id, seq)`);
    await queryRunner.query(`CREATE INDEX directory_groups_name_sort_idx ON directory_groups (account_id, name, seq)`);
    await queryRunner.query(`CREATE INDEX directory_groups_updated_idx ON directory_groups (account_id, updated_at, seq)`);
    await queryRunner.query(`CREATE INDEX directory_group_members_group_idx ON directory_group_members (account_id, group_remote_id, user_remote_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const index of [
      'directory_group_members_group_idx',
      'directory_groups_updated_idx',
      'directory_groups_name_sort_idx',
      'directory_groups_account_seq_idx',
      'directory_users_department_idx',
      'directory_users_email_sort_idx',
      'directory_users_last_name_sort_idx',
      'directory_users_first_name_sort_idx',
      'directory_users_account_seq_idx',
    ]) {
      await queryRunner.query(`DROP INDEX ${index}`);
    }
  }
}
