import { MigrationInterface, QueryRunner } from 'typeorm';

const STATUS_KEY = `lower(record->>'status')`;
const CAMPAIGN_REMOTE_ID = `CASE WHEN record->>'campaign_id' ~ '^[0-9]{1,18}$' THEN (record->>'campaign_id')::bigint END`;

/**
 * TypeORM reads a generated column's expression from its own `typeorm_metadata` table (Postgres formats
 * information_schema's copy differently), so the schema tools — and the entity/schema drift test — need the rows
 * TypeORM itself writes when it creates such a column: the table in TypeORM's shape and one row per column of the
 * identity-graph migration's generated enrollment keys.
 */
export class GeneratedColumnsMetadata1764620000001 implements MigrationInterface {
  name = 'GeneratedColumnsMetadata1764620000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE IF NOT EXISTS typeorm_metadata ("type" varchar NOT NULL, "database" varchar, "schema" varchar, "table" varchar, "name" varchar, "value" text)`,
    );
    for (const [name, value] of [['status_key', STATUS_KEY], ['campaign_remote_id', CAMPAIGN_REMOTE_ID]]) {
      await queryRunner.query(
        `INSERT INTO typeorm_metadata ("type", "database", "schema", "table", "name", "value")
         VALUES ('GENERATED_COLUMN', current_database(), current_schema(), 'directory_enrollments', $1, $2)`,
        [name, value],
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DELETE FROM typeorm_metadata WHERE "type" = 'GENERATED_COLUMN' AND "table" = 'directory_enrollments' AND "name" IN ('status_key', 'campaign_remote_id')`,
    );
  }
}

export const ENROLLMENT_GENERATED_KEYS = { statusKey: STATUS_KEY, campaignRemoteId: CAMPAIGN_REMOTE_ID } as const;
