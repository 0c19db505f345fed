// class-transformer's @Type reads design:type metadata, which needs the Reflect polyfill loaded first.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsISO8601, IsNotEmpty, IsString, Min, ValidateNested } from 'class-validator';
import { OperationErrorDto } from './common.dto';

/** A roster run's items: every planned change is one item (one operation through the provisioner). */
export class RosterRunCountsDto {
  /** Items the plan made (creates, updates, archives, reactivations, membership changes). */
  @IsInt() @Min(0) planned!: number;
  /** Items whose operation succeeded. */
  @IsInt() @Min(0) done!: number;
  /** Items whose operation failed; GET /roster-runs/{id}/items?status=failed names each with its error. */
  @IsInt() @Min(0) failed!: number;
}

export type RosterRunCounts = { [K in keyof RosterRunCountsDto]: number };

export abstract class RosterRunEventBase {
  @IsString()
  @IsNotEmpty()
  integrated_account_id!: string;

  @IsString()
  @IsNotEmpty()
  roster_run_id!: string;

  /** True when the guard rail was overridden with force=true. */
  @IsBoolean()
  forced!: boolean;

  /** When the run was accepted (its upload began). */
  @IsISO8601()
  started_at!: string;

  @ValidateNested()
  @Type(() => RosterRunCountsDto)
  counts!: RosterRunCountsDto;
}

/** `knowbe4.roster_run.started`: the plan is stored and its items go out (`counts.planned`; done and failed 0). */
export class RosterRunStartedData extends RosterRunEventBase {}

/** `knowbe4.roster_run.completed`: every item's operation finished and none failed. */
export class RosterRunCompletedData extends RosterRunEventBase {
  @IsISO8601()
  completed_at!: string;
}

/** `knowbe4.roster_run.failed`: every item's operation finished and at least one failed (`counts.failed`). */
export class RosterRunFailedData extends RosterRunEventBase {
  @IsISO8601()
  failed_at!: string;

  @ValidateNested()
  @Type(() => OperationErrorDto)
  error!: OperationErrorDto;
}
