import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The identity graph (issue 14 point 2): phishing campaigns, security tests, their recipients and risk-score history
 * (account, groups, users) mirrored by the poller, so the unified API reads them without spending KnowBe4's budget;
 * what each resource was last refreshed with (the poller plans per run which ones are due and affordable) and the
 * plan a run followed; read keys for enrollments (status, campaign, updated_at), which earlier runs stored raw.
 * Every table has a never-changing `seq` as its keyset, like the user and group mirror.
 */
export class IdentityGraph1764620000000 implements MigrationInterface {
  name = 'IdentityGraph1764620000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE directory_phishing_campaigns (
        seq bigserial PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES integrated_accounts(id) ON DELETE CASCADE,
        remote_id bigint NOT NULL,
        record jsonb NOT NULL,
        remote_data jsonb NOT NULL,
        content_hash text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        last_seen_run_id uuid,
        UNIQUE (account_id, remote_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE directory_security_tests (
        seq bigserial PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES integrated_accounts(id) ON DELETE CASCADE,
        remote_id bigint NOT NULL,
        campaign_remote_id bigint,
        started_at timestamptz,
        record jsonb NOT NULL,
        remote_data jsonb NOT NULL,
        content_hash text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        last_seen_run_id uuid,
        -- the test's content_hash when its recipients were last read: a changed test has changed recipients
        recipients_content_hash text,
        recipients_synced_at timestamptz,
        UNIQUE (account_id, remote_id)
      )`);
    await queryRunner.query(`CREATE INDEX directory_security_tests_campaign_idx ON directory_security_tests (account_id, campaign_remote_id, seq)`);
    await queryRunner.query(`
      CREATE TABLE directory_phishing_recipients (
        seq bigserial PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES integrated_accounts(id) ON DELETE CASCADE,
        remote_id bigint NOT NULL,
        test_remote_id bigint NOT NULL,
        user_remote_id bigint,
        email_lower text,
        scheduled_at timestamptz,
        result text NOT NULL,
        record jsonb NOT NULL,
        remote_data jsonb NOT NULL,
        content_hash text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        last_seen_run_id uuid,
        UNIQUE (account_id, remote_id)
      )`);
    await queryRunner.query(`CREATE INDEX directory_phishing_recipients_test_idx ON directory_phishing_recipients (account_id, test_remote_id, seq)`);
    // a user's last phishing result: the newest scheduled recipient row of that user
    await queryRunner.query(
      `CREATE INDEX directory_phishing_recipients_user_idx ON directory_phishing_recipients (account_id, user_remote_id, scheduled_at DESC NULLS LAST, seq DESC)`,
    );
    await queryRunner.query(`
      CREATE TABLE directory_risk_scores (
        seq bigserial PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES integrated_accounts(id) ON DELETE CASCADE,
        subject_type text NOT NULL CHECK (subject_type IN ('account', 'group', 'user')),
        -- 0 for the account itself
        subject_remote_id bigint NOT NULL,
        day date NOT NULL,
        risk_score double precision,
        updated_at timestamptz NOT NULL DEFAULT now(),
        last_seen_run_id uuid,
        UNIQUE (account_id, subject_type, subject_remote_id, day)
      )`);
    await queryRunner.query(`
      CREATE TABLE identity_graph_refreshes (
        account_id uuid NOT NULL REFERENCES integrated_accounts(id) ON DELETE CASCADE,
        resource text NOT NULL,
        refreshed_at timestamptz NOT NULL,
        sync_run_id uuid,
        requests integer NOT NULL DEFAULT 0,
        -- user risk history is read in slices: the largest user id the last slice covered
        position text,
        PRIMARY KEY (account_id, resource)
      )`);
    await queryRunner.query(`ALTER TABLE sync_runs ADD COLUMN graph_plan jsonb`);

    // enrollments: read keys derived from the stored KnowBe4 record (a non-numeric campaign id is dirty data: null)
    await queryRunner.query(`ALTER TABLE directory_enrollments ADD COLUMN status_key text GENERATED ALWAYS AS (lower(record->>'status')) STORED`);
    await queryRunner.query(
      `ALTER TABLE directory_enrollments ADD COLUMN campaign_remote_id bigint GENERATED ALWAYS AS (CASE WHEN record->>'campaign_id' ~ '^[0-9]{1,18}$' THEN (record->>'campaign_id')::bigint END) STORED`,
    );
    await queryRunner.query(`CREATE INDEX directory_enrollments_user_idx ON directory_enrollments (account_id, user_remote_id, remote_id)`);
    await queryRunner.query(`CREATE INDEX directory_enrollments_campaign_idx ON directory_enrollments (account_id, campaign_remote_id, remote_id)`);
    await queryRunner.query(`CREATE INDEX directory_enrollments_updated_idx ON directory_enrollments (account_id, updated_at, remote_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const index of ['directory_enrollments_user_idx', 'directory_enrollments_campaign_idx', 'directory_enrollments_updated_idx']) {
      await queryRunner.query(`DROP INDEX ${index}`);
    }
    await queryRunner.query(`ALTER TABLE directory_enrollments DROP COLUMN campaign_remote_id, DROP COLUMN status_key`);
    await queryRunner.query(`ALTER TABLE sync_runs DROP COLUMN graph_plan`);
    for (const table of ['identity_graph_refreshes', 'directory_risk_scores', 'directory_phishing_recipients', 'directory_security_tests', 'directory_phishing_campaigns']) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  }
}
