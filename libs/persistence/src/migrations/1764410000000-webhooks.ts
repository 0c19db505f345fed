import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhooks (issue 12 point 3): a workspace's endpoints, the deliveries the dispatcher stored for each Kafka event
 * (the offset is committed only after they are), each HTTP attempt, and the per-account authentication state the
 * `integrated_account:*` events are derived from.
 */
export class Webhooks1764410000000 implements MigrationInterface {
  name = 'Webhooks1764410000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE webhooks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        url text NOT NULL,
        description text NOT NULL DEFAULT '',
        events text[],
        integrated_account_ids uuid[],
        status text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
        disabled_reason text,
        disabled_at timestamptz,
        failing_since timestamptz,
        secret_ciphertext text NOT NULL,
        secret_key_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX webhooks_workspace_idx ON webhooks (workspace_id, created_at, id)`);
    await queryRunner.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigserial NOT NULL UNIQUE,
        webhook_id uuid NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
        event_type text NOT NULL,
        event_id text NOT NULL,
        record_key text NOT NULL,
        payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
        attempt_count integer NOT NULL DEFAULT 0,
        schedule_step integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        first_attempt_at timestamptz,
        lease_owner text,
        lease_expires_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        UNIQUE (webhook_id, event_id, event_type)
      )`);
    await queryRunner.query(`CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, seq) WHERE status = 'pending'`);
    await queryRunner.query(`CREATE INDEX webhook_deliveries_record_idx ON webhook_deliveries (webhook_id, record_key, seq) WHERE status = 'pending'`);
    await queryRunner.query(`CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (webhook_id, seq)`);
    await queryRunner.query(`
      CREATE TABLE webhook_delivery_attempts (
        id bigserial PRIMARY KEY,
        delivery_id uuid NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
        attempted_at timestamptz NOT NULL,
        duration_ms integer NOT NULL,
        response_status integer,
        response_body text,
        error text
      )`);
    await queryRunner.query(`CREATE INDEX webhook_delivery_attempts_delivery_idx ON webhook_delivery_attempts (delivery_id, id)`);
    await queryRunner.query(`
      CREATE TABLE webhook_account_auth_states (
        account_id uuid PRIMARY KEY,
        auth_failed boolean NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE webhook_account_auth_states`);
    await queryRunner.query(`DROP TABLE webhook_delivery_attempts`);
    await queryRunner.query(`DROP TABLE webhook_deliveries`);
    await queryRunner.query(`DROP TABLE webhooks`);
  }
}
