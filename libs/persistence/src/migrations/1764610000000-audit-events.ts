import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 14: the compliance audit log. `audit_events` is append-only — one row per change to a user or group, chained
 * per integrated account (seq, prev_hash, hash; see libs/persistence/src/audit/audit-chain.ts) — and Postgres refuses
 * UPDATE, DELETE and TRUNCATE on it (triggers, which bind the table's owner too; privileges are revoked from PUBLIC).
 * audit_append() serialises the appends of one account (an advisory transaction lock), so seq has no gaps; no row is
 * updated per append (a chain-head row updated by every change cost more than the entry's own INSERT).
 * No foreign key to integrated_accounts: the log outlives a disconnected account.
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
    // One round trip per append, in the caller's transaction: lock the account's chain (advisory, until commit), read
    // its head — a fresh snapshot per statement inside a function, so what a waited-for append committed is seen —
    // resolve who made the change (an operation's actor, or the one given), and chain and insert the entries.
    // hash = sha256(prev_hash \n seq \n workspace_id \n attribution \n digest): `digest` is the sha256 of the entry's
    // canonical JSON computed by the caller, `attribution` the canonical JSON of {actor, request_id, source} built
    // here (libs/persistence/src/audit/audit-chain.ts recomputes both).
    await queryRunner.query(`
      CREATE FUNCTION audit_append(p_account uuid, p_operation uuid, p_actor_type text, p_actor_id text, p_sync_run uuid, p_entries jsonb)
      RETURNS integer LANGUAGE plpgsql AS $$
      DECLARE
        v_workspace uuid; v_seq bigint; v_hash text; v_new text; v_actor jsonb; v_count integer := 0; e jsonb;
        a_type text := p_actor_type; a_id text := p_actor_id; s_roster text; s_rule text; v_request text; v_attr text;
        v_rules text;
      BEGIN
        SELECT workspace_id INTO v_workspace FROM integrated_accounts WHERE id = p_account;
        IF v_workspace IS NULL THEN RETURN 0; END IF;
        PERFORM pg_advisory_xact_lock(hashtextextended('kb4_audit_chain:' || p_account::text, 0));
        SELECT seq, hash INTO v_seq, v_hash FROM audit_events WHERE account_id = p_account ORDER BY seq DESC LIMIT 1;
        v_seq := coalesce(v_seq, 0);
        IF p_operation IS NOT NULL AND a_type IS NULL THEN
          SELECT actor INTO v_actor FROM operations WHERE id = p_operation;
          IF jsonb_typeof(v_actor->'request_id') = 'string' THEN v_request := nullif(v_actor->>'request_id', ''); END IF;
          CASE v_actor->>'type'
            WHEN 'api_key' THEN a_type := 'api_key'; a_id := CASE WHEN jsonb_typeof(v_actor->'id') = 'string' THEN nullif(v_actor->>'id', '') END;
            WHEN 'admin' THEN a_type := 'admin'; a_id := NULL;
            WHEN 'roster' THEN
              a_type := 'roster_run';
              a_id := coalesce(CASE WHEN jsonb_typeof(v_actor->'roster_run_id') = 'string' THEN nullif(v_actor->>'roster_run_id', '') END,
                               CASE WHEN jsonb_typeof(v_actor->'id') = 'string' THEN nullif(v_actor->>'id', '') END);
              s_roster := a_id;
            WHEN 'automation' THEN
              a_type := 'rule';
              IF jsonb_typeof(v_actor->'rule_ids') = 'array' THEN
                SELECT string_agg(r.value #>> '{}', ',' ORDER BY r.ordinality) INTO v_rules
                  FROM jsonb_array_elements(v_actor->'rule_ids') WITH ORDINALITY AS r(value, ordinality)
                 WHERE jsonb_typeof(r.value) = 'string' AND r.value #>> '{}' <> '';
              END IF;
              a_id := coalesce(v_rules, CASE WHEN jsonb_typeof(v_actor->'source') = 'string' THEN nullif(v_actor->>'source', '') END, 'automation');
              s_rule := a_id;
            ELSE a_type := 'system'; a_id := NULL;
          END CASE;
        END IF;
        v_attr := '{"actor":{"id":' || coalesce(to_json(a_id)::text, 'null') || ',"type":' || coalesce(to_json(a_type)::text, 'null')
               || '},"request_id":' || coalesce(to_json(v_request)::text, 'null')
               || ',"source":{"operation_id":' || coalesce(to_json(p_operation::text)::text, 'null')
               || ',"roster_run_id":' || coalesce(to_json(s_roster)::text, 'null')
               || ',"rule_id":' || coalesce(to_json(s_rule)::text, 'null')
               || ',"sync_run_id":' || coalesce(to_json(p_sync_run::text)::text, 'null') || '}}';
        FOR e IN SELECT value FROM jsonb_array_elements(p_entries) LOOP
          CONTINUE WHEN EXISTS (SELECT 1 FROM audit_events WHERE id = (e->>'id')::uuid);
          v_seq := v_seq + 1;
          v_new := encode(sha256(convert_to(coalesce(v_hash, '') || chr(10) || v_seq::text || chr(10) || v_workspace::text || chr(10) || v_attr || chr(10) || (e->>'digest'), 'UTF8')), 'hex');
          INSERT INTO audit_events (id, account_id, workspace_id, seq, occurred_at, type, resource, changes, actor, source, request_id, prev_hash, hash, user_ids)
          VALUES ((e->>'id')::uuid, p_account, v_workspace, v_seq, (e->>'occurred_at')::timestamptz, e->>'type', e->'resource', e->'changes',
                  jsonb_build_object('type', a_type, 'id', a_id),
                  jsonb_build_object('operation_id', p_operation, 'roster_run_id', s_roster, 'rule_id', s_rule, 'sync_run_id', p_sync_run),
                  v_request, v_hash, v_new, ARRAY(SELECT jsonb_array_elements_text(e->'user_ids')));
          v_hash := v_new;
          v_count := v_count + 1;
        END LOOP;
        RETURN v_count;
      END $$`);
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
    await queryRunner.query(`DROP FUNCTION audit_append(uuid, uuid, text, text, uuid, jsonb)`);
    await queryRunner.query(`DROP TABLE audit_events`);
    await queryRunner.query(`DROP FUNCTION audit_events_refuse_change()`);
  }
}
