import { MigrationInterface, QueryRunner } from 'typeorm';

/** GET …/licenses asks whether a user came back after our archiving write: the poller's reactivation events, by user key. */
export class ReactivationEventsIndex1764520000001 implements MigrationInterface {
  name = 'ReactivationEventsIndex1764520000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX outbox_events_user_reactivated_idx ON outbox_events (message_key, created_at) WHERE event_type = 'knowbe4.user.reactivated'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX outbox_events_user_reactivated_idx`);
  }
}
