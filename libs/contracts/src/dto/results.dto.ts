// class-transformer's @Type reads design:type metadata, which needs the Reflect polyfill loaded first.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Min,
  ValidateNested,
} from 'class-validator';
import { COMMAND_TYPES, type CommandType } from '../event-types';
import { OperationErrorDto } from './common.dto';

const COMMAND_TYPE_VALUES = Object.values(COMMAND_TYPES);

export abstract class OperationResultBase {
  @IsString()
  @IsNotEmpty()
  operation_id!: string;

  @IsString()
  @IsNotEmpty()
  integrated_account_id!: string;

  @IsIn(COMMAND_TYPE_VALUES)
  command_type!: CommandType;

  /** The attempt that produced this result. */
  @IsInt()
  @Min(1)
  attempt!: number;

  @IsISO8601()
  completed_at!: string;
}

/** `knowbe4.operation.succeeded` */
export class OperationSucceededData extends OperationResultBase {
  /** Reporting id when already known (it appears only after the next sync for a new user). */
  @IsOptional()
  @IsString()
  remote_id?: string | null;

  @IsOptional()
  @IsString()
  scim_id?: string | null;

  /** The SCIM resource as KnowBe4 answered it, read back into unified terms. */
  @IsOptional()
  @IsObject()
  resource?: Record<string, unknown>;
}

/** `knowbe4.operation.failed`: final failure after bounded retries, or a non-retryable one. */
export class OperationFailedData extends OperationResultBase {
  @ValidateNested()
  @Type(() => OperationErrorDto)
  error!: OperationErrorDto;
}
