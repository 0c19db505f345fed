import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `Prefer: wait=N` on the gateway: a NOTIFY on `kb4_operation_finished` (payload = operation id) when an
 * operation reaches succeeded or failed, so waiting requests wake at once instead of polling the row.
 * Also an index for the provisioner's and the DLQ tooling's lookups of failed operations per account.
 */
export class OperationFinishedNotify1764200000000 implements MigrationInterface {
  name = 'OperationFinishedNotify1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION kb4_notify_operation_finished() RETURNS trigger AS $$
      BEGIN
        PERFORM pg_notify('kb4_operation_finished', NEW.id::text);
        RETURN NEW;
      END
      $$ LANGUAGE plpgsql`);
    await queryRunner.query(`
      CREATE TRIGGER operations_finished_notify
      AFTER UPDATE OF status ON operations
      FOR EACH ROW
      WHEN (NEW.status IN ('succeeded', 'failed') AND OLD.status IS DISTINCT FROM NEW.status)
      EXECUTE FUNCTION kb4_notify_operation_finished()`);
    await queryRunner.query(`CREATE INDEX operations_account_status_idx ON operations (account_id, status, created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX operations_account_status_idx`);
    await queryRunner.query(`DROP TRIGGER operations_finished_notify ON operations`);
    await queryRunner.query(`DROP FUNCTION kb4_notify_operation_finished()`);
  }
}
