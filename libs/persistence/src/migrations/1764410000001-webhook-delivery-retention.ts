import { MigrationInterface, QueryRunner } from 'typeorm';

/** The dispatcher prunes finished webhook deliveries past their retention (WEBHOOK_LOG_RETENTION_DAYS) by finish time. */
export class WebhookDeliveryRetention1764410000001 implements MigrationInterface {
  name = 'WebhookDeliveryRetention1764410000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX webhook_deliveries_finished_idx ON webhook_deliveries (finished_at) WHERE status <> 'pending'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX webhook_deliveries_finished_idx`);
  }
}
