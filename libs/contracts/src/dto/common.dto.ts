import { Allow, IsBoolean, IsIn, IsInt, IsNotEmpty, IsObject, IsOptional, IsString } from 'class-validator';

/** One field of a `knowbe4.*.updated` event: `from`/`to` are whole values (see `@kb4/mapping` diffRecords). */
export class FieldChangeDto {
  @IsString()
  @IsNotEmpty()
  field!: string;

  @Allow()
  from!: unknown;

  @Allow()
  to!: unknown;
}

/** Why an operation failed, shaped like the gateway's error body so it can be shown as is. */
export class OperationErrorDto {
  /** Stable machine code: `scim_conflict`, `rate_limit_error`, `auth_error`, `validation_error`, … */
  @IsString()
  @IsNotEmpty()
  code!: string;

  @IsString()
  message!: string;

  /** Whether retrying the same command may succeed (429, 5xx, network). */
  @IsBoolean()
  retryable!: boolean;

  /** Upstream HTTP status when the failure came from KnowBe4. */
  @IsOptional()
  @IsInt()
  status?: number | null;

  @IsOptional()
  @IsBoolean()
  truto_is_remote_error?: boolean;

  @IsOptional()
  @IsIn(['remote_error', 'rate_limit_error', 'auth_error', 'not_found_error', 'conflict_error', 'validation_error'])
  truto_error_insight?: string;

  /** Upstream status and body, secrets removed. */
  @IsOptional()
  @IsObject()
  raw_response?: Record<string, unknown>;

  /** What the write had already done when it failed (e.g. the user created, and which groups it could not join). */
  @IsOptional()
  @IsObject()
  details?: Record<string, unknown>;
}
