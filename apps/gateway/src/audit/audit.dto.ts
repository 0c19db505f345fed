import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsISO8601, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { AUDIT_ACTOR_TYPES, AUDIT_EVENT_TYPES, type AuditEntry, type AuditEventType } from '@kb4/persistence';
import { PageLimit } from '../http/page-limit';

const ACCOUNT_EXAMPLE = '3f7c2a10-9b8e-4d55-a1c2-6e0f4b7d9a21';
// a field's value before or after a change: whatever JSON the unified record holds there
/** any JSON value or null (OpenAPI 3.0: `nullable` sits beside a `type`, so each branch carries it; anyOf since null matches every branch) */
const ANY_JSON_OR_NULL = [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'object' }, { type: 'array', items: {} }].map((branch) => ({ ...branch, nullable: true }));
const HASH_EXAMPLE = '9f2c4b7d1e0a8c6b5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c';

// `type=user.created,user.updated` and `type=user.created&type=user.updated` both work
const toList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.split(',').map((item) => item.trim()).filter((item) => item !== '') : value;

/** The filters every audit read takes (list, export). */
export class AuditFiltersQuery {
  @ApiProperty({ format: 'uuid', description: 'The integrated account whose audit log is read', example: ACCOUNT_EXAMPLE })
  @IsUUID('all', { message: 'integrated_account_id must be a UUID' })
  integrated_account_id!: string;

  @ApiPropertyOptional({ description: 'Only entries about this user: the unified id (Reporting id) or the SCIM id', example: '667542' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  user_id?: string;

  @ApiPropertyOptional({ enum: AUDIT_EVENT_TYPES, isArray: true, description: 'Only these entry types (comma-separated or repeated)', example: ['user.updated'] })
  @IsOptional()
  @Transform(toList)
  @IsArray()
  @ArrayMaxSize(AUDIT_EVENT_TYPES.length)
  @IsIn(AUDIT_EVENT_TYPES, { each: true })
  type?: AuditEventType[];

  @ApiPropertyOptional({
    description: `Only changes of this actor: its type (${AUDIT_ACTOR_TYPES.join(', ')}) or \`type:id\` (e.g. \`api_key:<key id>\`, \`roster_run:<run id>\`, \`rule:<rule id>\`)`,
    example: 'knowbe4-console',
  })
  @IsOptional()
  @Matches(new RegExp(`^(${AUDIT_ACTOR_TYPES.join('|')})(:[A-Za-z0-9._,-]{1,400})?$`), { message: `actor must be an actor type (${AUDIT_ACTOR_TYPES.join(', ')}), optionally followed by :id` })
  actor?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Only entries at or after this time', example: '2026-11-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'since must be an ISO 8601 date-time' })
  since?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Only entries before this time', example: '2026-12-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'until must be an ISO 8601 date-time' })
  until?: string;
}

export class AuditEventsQuery extends AuditFiltersQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 50, example: 50, description: 'Entries per page, oldest first (chain order)' })
  @PageLimit(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'The next_cursor of the previous page (opaque; keep the filters unchanged while paging)', example: 'eyJ2IjoxLCJkIjoibiJ9.c2ln' })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  next_cursor?: string;
}

export class AuditExportQuery extends AuditFiltersQuery {
  @ApiProperty({ enum: ['csv', 'ndjson'], description: 'CSV (a header row; `changes`, `resource` and `source` as JSON cells) or NDJSON (one entry per line, as GET /audit-events returns them)', example: 'ndjson' })
  @IsIn(['csv', 'ndjson'], { message: 'format must be csv or ndjson' })
  format!: 'csv' | 'ndjson';
}

export class UserHistoryQuery {
  @ApiProperty({ format: 'uuid', description: 'The integrated account of the user', example: ACCOUNT_EXAMPLE })
  @IsUUID('all', { message: 'integrated_account_id must be a UUID' })
  integrated_account_id!: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 50, example: 50, description: 'Entries per page, oldest first' })
  @PageLimit(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'The next_cursor of the previous page', example: 'eyJ2IjoxLCJkIjoibiJ9.c2ln' })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  next_cursor?: string;
}

export class AuditVerifyQuery {
  @ApiProperty({ format: 'uuid', description: 'The integrated account whose chain is recomputed', example: ACCOUNT_EXAMPLE })
  @IsUUID('all', { message: 'integrated_account_id must be a UUID' })
  integrated_account_id!: string;
}

export class AuditUserRefDto {
  @ApiProperty({ type: String, nullable: true, example: '667542', description: 'Unified user id when the entry was written (the SCIM id before a sync has seen the user)' })
  id!: string | null;

  @ApiProperty({ type: [String], example: ['667542', '3c1f6a2e-0b7d-4c9e-8a51-2f4e6d8b0a13'], description: 'Every id the user was known by then (Reporting id, SCIM id)' })
  ids!: string[];

  @ApiProperty({ type: String, nullable: true, format: 'email', example: 'ada@example.com' })
  email!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'E1001' })
  employee_number!: string | null;
}

export class AuditGroupRefDto {
  @ApiProperty({ type: String, nullable: true, example: '4411' })
  id!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'New Hires' })
  name!: string | null;
}

export class AuditResourceDto {
  @ApiProperty({ type: AuditUserRefDto, nullable: true, description: 'The user (user entries and memberships); null for group entries' })
  user!: AuditUserRefDto | null;

  @ApiProperty({ type: AuditGroupRefDto, nullable: true, description: 'The group (group entries and memberships); null for user entries' })
  group!: AuditGroupRefDto | null;
}

export class AuditChangeDto {
  @ApiProperty({ example: 'department' })
  field!: string;

  @ApiProperty({ anyOf: ANY_JSON_OR_NULL, example: 'R&D', description: 'The value before (any JSON value; null when unset or on a create)' })
  from!: unknown;

  @ApiProperty({ anyOf: ANY_JSON_OR_NULL, example: 'Engineering', description: 'The value after (any JSON value)' })
  to!: unknown;
}

export class AuditActorDto {
  @ApiProperty({
    enum: AUDIT_ACTOR_TYPES,
    example: 'api_key',
    description:
      '`api_key`: a write through this API; `admin`: the operator token; `roster_run`: a roster run; `rule`: group mapping rules or the new-hires automation; ' +
      '`knowbe4-console`: a change a sync saw in KnowBe4 that none of our writes made; `system`: an operation recorded before actors were kept',
  })
  type!: string;

  @ApiProperty({ type: String, nullable: true, example: '5b0c8e62-3f1d-4a8e-9d7c-2f4f7f0e9a11', description: 'API key id, roster run id, or rule id(s) (comma-separated when several rules agreed)' })
  id!: string | null;
}

export class AuditSourceDto {
  @ApiProperty({ type: String, nullable: true, format: 'uuid', example: '0b9e1c9a-6a53-4c1c-8f0e-4a1f2f7c9d10', description: 'The operation that made the change (GET /operations/{id}); null for observed changes' })
  operation_id!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'uuid', example: null, description: 'The roster run the operation belongs to' })
  roster_run_id!: string | null;

  @ApiProperty({ type: String, nullable: true, example: null, description: 'The mapping rule(s) behind the operation' })
  rule_id!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'uuid', example: null, description: 'The sync run that saw the change in KnowBe4; null for our own writes' })
  sync_run_id!: string | null;
}

export class AuditEventDto {
  @ApiProperty({ format: 'uuid', example: '6e5d4c3b-2a19-4f8e-9d7c-6b5a4f3e2d1c' })
  id!: string;

  @ApiProperty({ format: 'uuid', example: ACCOUNT_EXAMPLE })
  integrated_account_id!: string;

  @ApiProperty({ format: 'uuid', example: '5b0c8e62-3f1d-4a8e-9d7c-2f4f7f0e9a11' })
  workspace_id!: string;

  @ApiProperty({ example: '42', description: 'Position in the account\'s chain (1, 2, 3 … without gaps), as a string' })
  seq!: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-28T08:15:02.123Z', description: 'When the change was committed' })
  occurred_at!: string;

  @ApiProperty({ enum: AUDIT_EVENT_TYPES, example: 'user.updated' })
  type!: string;

  @ApiProperty({ type: AuditResourceDto })
  resource!: AuditResourceDto;

  @ApiProperty({ type: [AuditChangeDto], description: 'Field-level from/to (a create lists the fields it set, from null; archive/reactivate the status)' })
  changes!: AuditChangeDto[];

  @ApiProperty({ type: AuditActorDto })
  actor!: AuditActorDto;

  @ApiProperty({ type: AuditSourceDto })
  source!: AuditSourceDto;

  @ApiProperty({ type: String, nullable: true, example: 'req-7f3a9c2e', description: 'The x-request-id of the API request that asked for the change (null for observed changes)' })
  request_id!: string | null;

  @ApiProperty({ type: String, nullable: true, example: HASH_EXAMPLE, description: 'hash of the entry before (null for the first)' })
  prev_hash!: string | null;

  @ApiProperty({
    example: HASH_EXAMPLE,
    description:
      'hex SHA-256 of the lines prev_hash (empty for the first), seq, workspace_id, the canonical JSON (keys sorted, no whitespace) of {actor, request_id, source}, ' +
      'and the hex SHA-256 of the canonical JSON of {v: 1, id, integrated_account_id, occurred_at, type, resource, changes}, joined by \\n',
  })
  hash!: string;
}

export class AuditEventPageDto {
  @ApiProperty({ type: [AuditEventDto], description: 'Entries in chain order (oldest first)' })
  result!: AuditEventDto[];

  @ApiProperty({ type: String, nullable: true, example: null, description: 'Pass as next_cursor for the next page; null on the last page (entries appended later are found by paging on from the last cursor)' })
  next_cursor!: string | null;

  @ApiProperty({ type: 'integer', example: 1 })
  result_count!: number;
}

export class ChainHeadDto {
  @ApiProperty({ example: '42', description: 'seq of the last entry (0: no entries)' })
  seq!: string;

  @ApiProperty({ type: String, nullable: true, example: HASH_EXAMPLE })
  hash!: string | null;
}

export class ChainBreakDto {
  @ApiProperty({ example: '6e5d4c3b-2a19-4f8e-9d7c-6b5a4f3e2d1c', description: 'The first entry that does not verify (empty when entries are missing at the end)' })
  id!: string;

  @ApiProperty({ example: '17' })
  seq!: string;

  @ApiProperty({
    enum: ['hash_mismatch', 'prev_hash_mismatch', 'seq_gap'],
    example: 'hash_mismatch',
    description: '`hash_mismatch`: its content was changed; `prev_hash_mismatch`: the entry before it was changed and re-hashed; `seq_gap`: entries before it (or at the end) are missing',
  })
  reason!: string;
}

export class AuditVerificationDto {
  @ApiProperty({ format: 'uuid', example: ACCOUNT_EXAMPLE })
  integrated_account_id!: string;

  @ApiProperty({ example: true, description: 'Every entry\'s hash recomputed and linked to the one before' })
  ok!: boolean;

  @ApiProperty({ type: 'integer', example: 42, description: 'Entries that verified (up to the first broken one)' })
  checked!: number;

  @ApiProperty({ type: ChainHeadDto, description: 'The last entry that verified' })
  head!: ChainHeadDto;

  @ApiProperty({ type: ChainBreakDto, nullable: true, example: null, description: 'The first entry that does not verify; null when ok' })
  first_broken!: ChainBreakDto | null;
}

export class CreateCheckpointDto {
  @ApiProperty({ format: 'uuid', description: 'The account whose chain head is signed', example: ACCOUNT_EXAMPLE })
  @IsUUID('all', { message: 'integrated_account_id must be a UUID' })
  integrated_account_id!: string;
}

export class AuditCheckpointDto {
  @ApiProperty({ format: 'uuid', example: ACCOUNT_EXAMPLE })
  @IsUUID('all', { message: 'integrated_account_id must be a UUID' })
  integrated_account_id!: string;

  @ApiProperty({ example: '42', description: 'seq of the chain head signed' })
  @Matches(/^[0-9]{1,19}$/, { message: 'seq must be a non-negative integer as a string' })
  seq!: string;

  @ApiProperty({ type: String, nullable: true, example: HASH_EXAMPLE, description: 'hash of the entry at seq (null for an empty chain)' })
  @IsOptional()
  @Matches(/^[0-9a-f]{64}$/, { message: 'head_hash must be 64 lower-case hex characters or null' })
  head_hash!: string | null;

  @ApiProperty({ format: 'date-time', example: '2026-11-28T09:00:00.000Z', description: 'When the checkpoint was made' })
  @IsISO8601({ strict: true }, { message: 'at must be an ISO 8601 date-time' })
  at!: string;

  @ApiProperty({
    example: '4b1d0c9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c',
    description: 'hex HMAC-SHA256 with AUDIT_CHECKPOINT_KEY over the canonical JSON of {v: 1, integrated_account_id, seq, head_hash, at}',
  })
  @Matches(/^[0-9a-f]{64}$/, { message: 'signature must be 64 lower-case hex characters' })
  signature!: string;
}

export class CheckpointVerificationDto {
  @ApiProperty({ example: true, description: 'The signature is ours, the entry at seq still has head_hash, and the chain up to it verifies' })
  valid!: boolean;

  @ApiProperty({
    type: String,
    nullable: true,
    enum: ['signature_invalid', 'entry_missing', 'head_hash_mismatch', 'chain_broken', null],
    example: null,
    description: 'Why not valid: a forged or altered checkpoint, the entry at seq gone, rewritten, or an earlier entry broken',
  })
  reason!: string | null;

  @ApiProperty({ type: AuditVerificationDto, nullable: true, description: 'The chain recomputed up to the checkpoint (null when the signature is not valid)' })
  chain!: AuditVerificationDto | null;
}

export function toAuditEventDto(entry: AuditEntry): AuditEventDto {
  const { user = null, group = null } = entry.resource;
  const { operation_id = null, roster_run_id = null, rule_id = null, sync_run_id = null } = entry.source;
  return { ...entry, resource: { user, group }, source: { operation_id, roster_run_id, rule_id, sync_run_id } };
}
