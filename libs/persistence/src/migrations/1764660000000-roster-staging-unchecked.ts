import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Staged roster rows lose their foreign key to roster_runs: its check (a trigger per row) made COPY of a 100k-row
 * upload's keys 3–4× slower (1.4 s → 4.8–5.8 s measured). Nothing relied on its cascade: the planner deletes its own
 * staging when it ends, and a plan a stopped gateway left in 'planning' is swept, with its staging, by the next plan
 * of that account (RosterRunRepository.abandonInterruptedPlanning) — the index below finds those runs.
 */
export class RosterStagingUnchecked1764660000000 implements MigrationInterface {
  name = 'RosterStagingUnchecked1764660000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE roster_rows DROP CONSTRAINT IF EXISTS roster_rows_run_id_fkey`);
    await queryRunner.query(`CREATE INDEX roster_runs_planning_idx ON roster_runs (account_id, created_at) WHERE status = 'planning'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX roster_runs_planning_idx`);
    await queryRunner.query(`DELETE FROM roster_rows r WHERE NOT EXISTS (SELECT 1 FROM roster_runs WHERE id = r.run_id)`);
    await queryRunner.query(`ALTER TABLE roster_rows ADD CONSTRAINT roster_rows_run_id_fkey FOREIGN KEY (run_id) REFERENCES roster_runs(id) ON DELETE CASCADE`);
  }
}
