// class-transformer's @Type reads design:type metadata, which needs the Reflect polyfill loaded first.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsISO8601, IsNotEmpty, IsOptional, IsString, Min, ValidateNested } from 'class-validator';
import { OperationErrorDto } from './common.dto';

export const SYNC_RUN_TRIGGERS = ['schedule', 'manual', 'initial'] as const;
export type SyncRunTrigger = (typeof SYNC_RUN_TRIGGERS)[number];

/** What one sync run saw and emitted. All counts are required so dashboards never guess a default. */
export class SyncRunCountsDto {
  @IsInt() @Min(0) users_seen!: number;
  @IsInt() @Min(0) users_created!: number;
  @IsInt() @Min(0) users_updated!: number;
  @IsInt() @Min(0) users_archived!: number;
  @IsInt() @Min(0) users_reactivated!: number;
  @IsInt() @Min(0) users_deleted!: number;
  @IsInt() @Min(0) users_risk_changed!: number;
  @IsInt() @Min(0) groups_seen!: number;
  @IsInt() @Min(0) groups_created!: number;
  @IsInt() @Min(0) groups_updated!: number;
  @IsInt() @Min(0) groups_deleted!: number;
  @IsInt() @Min(0) memberships_added!: number;
  @IsInt() @Min(0) memberships_removed!: number;
  @IsInt() @Min(0) enrollments_changed!: number;
  /** Null entries, records without an id, dangling references: skipped and counted, never fatal. */
  @IsInt() @Min(0) records_skipped!: number;
  @IsInt() @Min(0) events_emitted!: number;
  @IsInt() @Min(0) requests_made!: number;
}

export type SyncRunCounts = { [K in keyof SyncRunCountsDto]: number };

export function emptySyncRunCounts(): SyncRunCounts {
  return {
    users_seen: 0,
    users_created: 0,
    users_updated: 0,
    users_archived: 0,
    users_reactivated: 0,
    users_deleted: 0,
    users_risk_changed: 0,
    groups_seen: 0,
    groups_created: 0,
    groups_updated: 0,
    groups_deleted: 0,
    memberships_added: 0,
    memberships_removed: 0,
    enrollments_changed: 0,
    records_skipped: 0,
    events_emitted: 0,
    requests_made: 0,
  };
}

export abstract class SyncRunEventBase {
  @IsString()
  @IsNotEmpty()
  integrated_account_id!: string;

  @IsString()
  @IsNotEmpty()
  sync_run_id!: string;

  @IsIn(SYNC_RUN_TRIGGERS)
  trigger!: SyncRunTrigger;

  @IsISO8601()
  started_at!: string;
}

/** `knowbe4.sync_run.started` */
export class SyncRunStartedData extends SyncRunEventBase {}

/** `knowbe4.sync_run.completed` */
export class SyncRunCompletedData extends SyncRunEventBase {
  @IsISO8601()
  completed_at!: string;

  /** True when every page was read; only a complete run may emit `knowbe4.user.deleted`. */
  @IsBoolean()
  complete!: boolean;

  @ValidateNested()
  @Type(() => SyncRunCountsDto)
  counts!: SyncRunCountsDto;
}

/** `knowbe4.sync_run.failed`: counts so far plus the error. */
export class SyncRunFailedData extends SyncRunEventBase {
  @IsISO8601()
  failed_at!: string;

  @ValidateNested()
  @Type(() => SyncRunCountsDto)
  counts!: SyncRunCountsDto;

  @ValidateNested()
  @Type(() => OperationErrorDto)
  error!: OperationErrorDto;

  @IsOptional()
  @IsBoolean()
  complete?: boolean;
}

export const SYNC_RECORD_ENTITIES = ['user', 'group', 'enrollment'] as const;

/**
 * Why a run skipped a record it could not store: `invalid` (KnowBe4 sent something that is not a user/group),
 * `too_large` (its JSON is over the poller's record limit), `unstorable_characters` (NUL or a lone surrogate, which
 * Postgres text/jsonb refuse), `rejected` (the mirror write failed for this record alone; `db_code` says why).
 */
export const SYNC_RECORD_SKIP_REASONS = ['invalid', 'too_large', 'unstorable_characters', 'rejected'] as const;
export type SyncRecordSkipReason = (typeof SYNC_RECORD_SKIP_REASONS)[number];

/** `knowbe4.sync.record_skipped` (key: the account): ids and a reason, never the record's values. */
export class SyncRecordSkippedData {
  @IsString()
  @IsNotEmpty()
  integrated_account_id!: string;

  @IsString()
  @IsNotEmpty()
  sync_run_id!: string;

  @IsIn(SYNC_RECORD_ENTITIES)
  entity!: (typeof SYNC_RECORD_ENTITIES)[number];

  @IsString()
  @IsNotEmpty()
  remote_id!: string;

  /** The list page it was on (its position in the walk). */
  @IsInt()
  @Min(1)
  page!: number;

  @IsIn(SYNC_RECORD_SKIP_REASONS)
  reason!: SyncRecordSkipReason;

  /** Postgres SQLSTATE when the database refused the record (e.g. `54000`: an index row too large). */
  @IsOptional()
  @IsString()
  db_code?: string;
}
