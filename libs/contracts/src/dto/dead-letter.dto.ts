// class-transformer's @Type reads design:type metadata, which needs the Reflect polyfill loaded first.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsNotEmpty, IsObject, IsOptional, IsString, Min, ValidateNested } from 'class-validator';
import { COMMAND_TYPES } from '../event-types';
import { OperationErrorDto } from './common.dto';

/** The original command CloudEvent, checked just enough to be replayable. */
export class DeadLetteredCommandDto {
  @IsIn(['1.0'])
  specversion!: '1.0';

  @IsString()
  @IsNotEmpty()
  id!: string;

  @IsString()
  @IsNotEmpty()
  source!: string;

  @IsIn(Object.values(COMMAND_TYPES))
  type!: string;

  @IsOptional()
  @IsString()
  subject?: string;

  @IsOptional()
  @IsString()
  time?: string;

  @IsOptional()
  @IsString()
  datacontenttype?: string;

  @IsObject()
  data!: Record<string, unknown>;
}

/** `knowbe4.operation.dead_lettered` on the DLQ topic: the original command plus the error and attempt count. */
export class DeadLetterData {
  @ValidateNested()
  @Type(() => DeadLetteredCommandDto)
  command!: DeadLetteredCommandDto;

  @ValidateNested()
  @Type(() => OperationErrorDto)
  error!: OperationErrorDto;

  @IsInt()
  @Min(1)
  attempts!: number;

  @IsISO8601()
  dead_lettered_at!: string;

  /** Kafka coordinates of the command message, for replay tools. */
  @IsOptional()
  @IsString()
  source_topic?: string;

  @IsOptional()
  @IsInt()
  source_partition?: number;

  @IsOptional()
  @IsString()
  source_offset?: string;
}
