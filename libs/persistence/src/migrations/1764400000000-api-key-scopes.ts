import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 12: API keys carry scopes (existing keys keep every scope through the column default) and a last-used time;
 * a NOTIFY on `kb4_api_key_changed` (payload = key hash) when a key is revoked, re-scoped or deleted, so every
 * gateway drops it from its authentication cache at once.
 */
export class ApiKeyScopes1764400000000 implements MigrationInterface {
  name = 'ApiKeyScopes1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE api_keys
        ADD COLUMN scopes text[] NOT NULL DEFAULT ARRAY['directory:read', 'directory:write', 'accounts:manage', 'webhooks:manage']::text[],
        ADD COLUMN last_used_at timestamptz NULL`);
    await queryRunner.query(`CREATE INDEX api_keys_workspace_idx ON api_keys (workspace_id, created_at, id)`);
    await queryRunner.query(`
      CREATE FUNCTION kb4_notify_api_key_changed() RETURNS trigger AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          PERFORM pg_notify('kb4_api_key_changed', OLD.key_hash);
          RETURN OLD;
        END IF;
        PERFORM pg_notify('kb4_api_key_changed', NEW.key_hash);
        RETURN NEW;
      END
      $$ LANGUAGE plpgsql`);
    await queryRunner.query(`
      CREATE TRIGGER api_keys_changed_notify
      AFTER UPDATE OF revoked_at, scopes, key_hash, workspace_id ON api_keys
      FOR EACH ROW
      WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.scopes IS DISTINCT FROM NEW.scopes
        OR OLD.key_hash IS DISTINCT FROM NEW.key_hash OR OLD.workspace_id IS DISTINCT FROM NEW.workspace_id)
      EXECUTE FUNCTION kb4_notify_api_key_changed()`);
    await queryRunner.query(`
      CREATE TRIGGER api_keys_deleted_notify
      AFTER DELETE ON api_keys
      FOR EACH ROW
      EXECUTE FUNCTION kb4_notify_api_key_changed()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER api_keys_deleted_notify ON api_keys`);
    await queryRunner.query(`DROP TRIGGER api_keys_changed_notify ON api_keys`);
    await queryRunner.query(`DROP FUNCTION kb4_notify_api_key_changed()`);
    await queryRunner.query(`DROP INDEX api_keys_workspace_idx`);
    await queryRunner.query(`ALTER TABLE api_keys DROP COLUMN last_used_at, DROP COLUMN scopes`);
  }
}
