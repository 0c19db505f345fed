import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Text indexes of the mirror on a bounded prefix (200 characters, at most 800 bytes) instead of the whole value: a
 * btree row cannot exceed 2,704 bytes, and KnowBe4 (or an admin in its console) can hold a name or department far
 * longer, which made the poller's mirror write fail ("index row requires … bytes"). The read path sorts and filters
 * on the same expressions (DirectoryReadRepository, SORT_PREFIX).
 */
export class BoundedTextIndexes1764310000000 implements MigrationInterface {
  name = 'BoundedTextIndexes1764310000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const index of [
      'directory_users_first_name_sort_idx',
      'directory_users_last_name_sort_idx',
      'directory_users_email_sort_idx',
      'directory_users_department_idx',
      'directory_groups_name_sort_idx',
    ]) {
      await queryRunner.query(`DROP INDEX IF EXISTS ${index}`);
    }
    await queryRunner.query(`CREATE INDEX directory_users_first_name_sort_idx ON directory_users (account_id, (left(coalesce(first_name, ''), 200)), seq)`);
    await queryRunner.query(`CREATE INDEX directory_users_last_name_sort_idx ON directory_users (account_id, (left(coalesce(last_name, ''), 200)), seq)`);
    await queryRunner.query(`CREATE INDEX directory_users_email_sort_idx ON directory_users (account_id, (left(coalesce(email_lower, ''), 200)), seq)`);
    await queryRunner.query(
      `CREATE INDEX directory_users_department_idx ON directory_users (account_id, (left(department, 200)), seq) WHERE department IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX directory_groups_name_sort_idx ON directory_groups (account_id, (left(name, 200)), seq)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const index of [
      'directory_users_first_name_sort_idx',
      'directory_users_last_name_sort_idx',
      'directory_users_email_sort_idx',
      'directory_users_department_idx',
      'directory_groups_name_sort_idx',
    ]) {
      await queryRunner.query(`DROP INDEX ${index}`);
    }
    await queryRunner.query(`CREATE INDEX directory_users_first_name_sort_idx ON directory_users (account_id, (coalesce(first_name, '')), seq)`);
    await queryRunner.query(`CREATE INDEX directory_users_last_name_sort_idx ON directory_users (account_id, (coalesce(last_name, '')), seq)`);
    await queryRunner.query(`CREATE INDEX directory_users_email_sort_idx ON directory_users (account_id, (coalesce(email_lower, '')), seq)`);
    await queryRunner.query(`CREATE INDEX directory_users_department_idx ON directory_users (account_id, department, seq) WHERE department IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX directory_groups_name_sort_idx ON directory_groups (account_id, name, seq)`);
  }
}
