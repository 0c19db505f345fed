import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 14: the compliance audit log. `audit_events` is append-only — one row per change to a user or group, chained
 * per integrated account (seq, prev_hash, hash; see libs/persistence/src/audit/audit-chain.ts) — and Postgres refuses
 * UPDATE, DELETE and TRUNCATE on it (triggers, which bind the table's owner too; privileges are revoked from PUBLIC).
 * `audit_chain_heads` holds each account's last seq and hash: appending locks that row, so appends of one account
 * serialise and seq has no gaps. No foreign key to integrated_accounts: the log outlives a disconnected account.
 * Retention is out of scope: rows are kept for ever.
 */
export class AuditEvents1764610000000 implements MigrationInterface {
  name = 'AuditEvents1764610000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE audit_events (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL,
        workspace_id uuid NOT NULL,
        seq bigint NOT NULL,
        occurred_at timestamptz NOT NULL,
        type text NOT NULL,
        resource jsonb NOT NULL,
        changes jsonb NOT NULL,
        actor jsonb NOT NULL,
        source jsonb NOT NULL,
        request_id text,
        prev_hash text,
        hash text NOT NULL,
        user_ids text[] NOT NULL DEFAULT '{}',
        CONSTRAINT audit_events_account_seq UNIQUE (account_id, seq)
      )`);
    await queryRunner.query(`CREATE INDEX audit_events_user_ids_idx ON audit_events USING gin (user_ids)`);
    await queryRunner.query(`CREATE INDEX audit_events_account_type_idx ON audit_events (account_id, type, seq)`);
    await queryRunner.query(`CREATE INDEX audit_events_account_time_idx ON audit_events (account_id, occurred_at)`);
    await queryRunner.query(`
      CREATE TABLE audit_chain_heads (
        account_id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        seq bigint NOT NULL DEFAULT 0,
        hash text
      )`);
    await queryRunner.query(`
      CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()`,
    );
    await queryRunner.query(`REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM PUBLIC`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE audit_chain_heads`);
    await queryRunner.query(`DROP TABLE audit_events`);
    await queryRunner.query(`DROP FUNCTION audit_events_refuse_change()`);
  }
}
