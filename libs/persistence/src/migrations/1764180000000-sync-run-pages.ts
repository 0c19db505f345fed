import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The remote ids each committed page of a sync run saw. Deletion detection anti-joins the mirror against them
 * after a complete run, so an unchanged record costs one array element instead of a mirror row update, and a
 * resumed run still knows what its earlier pages saw.
 */
export class SyncRunPages1764180000000 implements MigrationInterface {
  name = 'SyncRunPages1764180000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE sync_run_pages (
        run_id uuid NOT NULL REFERENCES sync_runs(id) ON DELETE CASCADE,
        phase text NOT NULL,
        page integer NOT NULL,
        remote_ids bigint[] NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (run_id, phase, page)
      )`);
    await queryRunner.query(`CREATE INDEX sync_runs_due_idx ON sync_runs (status, resume_at) WHERE status IN ('queued', 'running', 'waiting_for_budget')`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX sync_runs_due_idx`);
    await queryRunner.query(`DROP TABLE sync_run_pages`);
  }
}
