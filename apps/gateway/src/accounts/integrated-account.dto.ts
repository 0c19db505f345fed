import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Length, Matches, Max, Min, ValidateIf } from 'class-validator';
import { KNOWBE4_REGIONS, KnowBe4Region } from '@kb4/knowbe4';
import type { IntegratedAccountEntity, SyncRunEntity } from '@kb4/persistence';
import { KnowBe4BudgetDto } from './knowbe4-budget';
import { SyncLagDto } from './sync-lag';
import { PageOf } from '../http/page.dto';

const SECRET_PATTERN_HELP = 'never returned or logged; stored encrypted (AES-256-GCM)';
const SCIM_BASE_URL_HELP =
  'The SCIM "Tenant URL" from the KnowBe4 console: https on knowbe4.com or a subdomain (in sandbox mode also the sandbox\'s own URL); link-local, metadata and private addresses are refused';
const CREDENTIAL_CHARACTERS = /^[\x21-\x7e]+$/;

/**
 * A KnowBe4 key or token: printable ASCII without spaces, as KnowBe4 issues them. It travels in an HTTP header, where
 * CR/LF or a character beyond Latin-1 cannot go — such a value is the caller's mistake (400), not KnowBe4's (502).
 */
function IsCredential(): PropertyDecorator {
  return (target, key) => {
    IsString()(target, key);
    Length(1, 4096)(target, key);
    Matches(CREDENTIAL_CHARACTERS, {
      message: `${String(key)} must be printable ASCII without spaces or line breaks, as KnowBe4 issues it (check for a pasted newline)`,
    })(target, key);
  };
}

export class CreateIntegratedAccountDto {
  @ApiProperty({ example: 'Acme Corp KnowBe4', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  label!: string;

  @ApiProperty({ enum: KNOWBE4_REGIONS, example: 'us', description: 'The region of the KnowBe4 account; the Reporting key only works there' })
  @IsIn(KNOWBE4_REGIONS)
  region!: KnowBe4Region;

  @ApiProperty({ description: `KnowBe4 Reporting API key; ${SECRET_PATTERN_HELP}`, example: 'eyJhbGciOiJIUzI1NiJ9.kb4-reporting-key', writeOnly: true, minLength: 1, maxLength: 4096, pattern: CREDENTIAL_CHARACTERS.source })
  @IsCredential()
  reporting_api_key!: string;

  @ApiProperty({ description: `KnowBe4 SCIM token; ${SECRET_PATTERN_HELP}`, example: 'scim-2f9c1e7a4b', writeOnly: true, minLength: 1, maxLength: 4096, pattern: CREDENTIAL_CHARACTERS.source })
  @IsCredential()
  scim_token!: string;

  @ApiPropertyOptional({
    description: `${SCIM_BASE_URL_HELP}; defaults to the region's`,
    example: 'https://training.knowbe4.com/scim/v2',
    format: 'uri',
    maxLength: 500,
  })
  @IsOptional()
  @IsUrl({ require_protocol: true, protocols: ['https', 'http'], require_tld: false })
  @Length(1, 500)
  scim_base_url?: string;

  @ApiPropertyOptional({ type: 'integer', description: 'Sync interval in seconds (default POLL_INTERVAL_SECONDS)', minimum: 60, maximum: 7 * 24 * 3600, example: 900 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(60)
  @Max(7 * 24 * 3600)
  poll_interval_seconds?: number;
}

export class UpdateIntegratedAccountDto {
  @ApiPropertyOptional({ example: 'Acme Corp (EU)', minLength: 1, maxLength: 200 })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  label?: string;

  @ApiPropertyOptional({ enum: ['active', 'paused'], example: 'active', description: 'paused stops scheduled syncs; active resumes them (and re-checks the credentials of an auth_failed account, 422 while KnowBe4 still refuses them)' })
  @IsOptional()
  @IsIn(['active', 'paused'])
  status?: 'active' | 'paused';

  @ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 60, maximum: 7 * 24 * 3600, example: 1800, description: 'null returns to the default interval' })
  @IsOptional()
  @ValidateIf((_o, value) => value !== null)
  @IsInt()
  @Min(60)
  @Max(7 * 24 * 3600)
  poll_interval_seconds?: number | null;

  @ApiPropertyOptional({ description: `Rotates the Reporting key (verified first); ${SECRET_PATTERN_HELP}`, writeOnly: true, minLength: 1, maxLength: 4096, pattern: CREDENTIAL_CHARACTERS.source })
  @IsOptional()
  @IsCredential()
  reporting_api_key?: string;

  @ApiPropertyOptional({ description: `Rotates the SCIM token (verified first); ${SECRET_PATTERN_HELP}`, writeOnly: true, minLength: 1, maxLength: 4096, pattern: CREDENTIAL_CHARACTERS.source })
  @IsOptional()
  @IsCredential()
  scim_token?: string;

  @ApiPropertyOptional({ example: 'https://eu.knowbe4.com/scim/v2', format: 'uri', maxLength: 500, description: SCIM_BASE_URL_HELP })
  @IsOptional()
  @IsUrl({ require_protocol: true, protocols: ['https', 'http'], require_tld: false })
  @Length(1, 500)
  scim_base_url?: string;
}

export class IntegratedAccountDto {
  @ApiProperty({ format: 'uuid', example: '0b6f3c57-5d55-4a1e-9c43-2f0d7b1de0a1' })
  id!: string;
  @ApiProperty({ example: 'Acme Corp KnowBe4' })
  label!: string;
  @ApiProperty({ enum: KNOWBE4_REGIONS, example: 'us' })
  region!: string;
  @ApiProperty({ nullable: true, type: String, format: 'uri', example: 'https://training.knowbe4.com/scim/v2', description: 'null: the region\'s own SCIM base' })
  scim_base_url!: string | null;
  @ApiProperty({ enum: ['active', 'paused', 'auth_failed'], example: 'active', description: 'auth_failed: KnowBe4 refused the stored credentials during a sync' })
  status!: string;
  @ApiProperty({ nullable: true, type: 'integer', example: 900, description: 'null: the default (POLL_INTERVAL_SECONDS)' })
  poll_interval_seconds!: number | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2026-11-28T08:00:41.902Z' })
  last_sync_completed_at!: string | null;
  @ApiProperty({ format: 'date-time', example: '2026-11-01T10:12:00.000Z' })
  created_at!: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-28T08:00:41.902Z' })
  updated_at!: string;
}

export class IntegratedAccountListDto extends PageOf(IntegratedAccountDto) {}

export class SyncRunDto {
  @ApiProperty({ format: 'uuid', example: '6e1f0c9a-3b2d-4e8f-a7c6-5d4b3a2f1e0d' })
  id!: string;
  @ApiProperty({ format: 'uuid', example: '0b6f3c57-5d55-4a1e-9c43-2f0d7b1de0a1' })
  integrated_account_id!: string;
  @ApiProperty({ enum: ['queued', 'running', 'waiting_for_budget', 'completed', 'failed'], example: 'queued' })
  status!: string;
  @ApiProperty({ example: 'manual', description: 'manual, schedule, …' })
  trigger!: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-28T08:00:00.312Z' })
  started_at!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2026-11-28T08:00:41.902Z' })
  finished_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'When a run paused for the daily budget continues', example: null })
  resume_at!: string | null;
  @ApiProperty({ type: 'integer', example: 3, description: 'Reporting API pages fetched' })
  pages!: number;
  @ApiProperty({ type: 'integer', example: 4, description: 'Reporting API requests sent' })
  requests!: number;
  @ApiProperty({ example: { users_created: 2 }, type: 'object', additionalProperties: { type: 'number' } })
  counts!: Record<string, number>;
  @ApiProperty({ nullable: true, type: String, example: null, description: 'Why the run failed; null otherwise' })
  error!: string | null;
  @ApiProperty({
    nullable: true,
    type: 'object',
    additionalProperties: true,
    description:
      "The identity graph's plan for the run: the budget (KnowBe4's daily 2,000 + licensed users, the graph's share, what it spent in the last 24 h), the `steps` it refreshed, what it `skipped` and why (`not_due` with `due_at`, `over_budget`, `nothing_to_read`), and the `outcome`; null before the graph phase (or with the graph off)",
    example: {
      budget: { daily: 2400, graph_share: 0.25, graph_allowance: 600, graph_spent_last_24h: 41, per_run: 30, available: 11 },
      steps: [{ resource: 'security_tests', estimated_requests: 1 }, { resource: 'recipients', estimated_requests: 2, subjects: ['16142', '16143'] }],
      skipped: [{ resource: 'user_risk', reason: 'over_budget', estimated_requests: 200 }, { resource: 'account_risk', reason: 'not_due', estimated_requests: 1, due_at: '2026-11-29T08:00:00.000Z' }],
      outcome: { requests: 3, written: { phishing_campaigns: 0, security_tests: 12, recipients: 640, risk_points: 0 }, records_skipped: 0, subjects_failed: 0 },
    },
  })
  graph_plan!: Record<string, unknown> | null;
}

export class SyncRunListDto extends PageOf(SyncRunDto) {}

/**
 * `limit` + `next_cursor` of the admin lists, as a class to extend: `maxLimit` and `defaultLimit` differ per list,
 * the validation and the documentation do not.
 */
function CursorPageQuery(maxLimit: number, defaultLimit: number) {
  class CursorPageQueryBase {
    @ApiPropertyOptional({ minimum: 1, maximum: maxLimit, default: defaultLimit, description: 'Records per page' })
    @IsOptional()
    @Type(() => Number)
    @IsInt()
    @Min(1)
    @Max(maxLimit)
    limit?: number;

    @ApiPropertyOptional({ description: 'The next_cursor of the previous page (opaque; keep limit unchanged while paging)' })
    @IsOptional()
    @IsString()
    @Length(1, 1024)
    next_cursor?: string;
  }
  return CursorPageQueryBase;
}

export class SyncRunListQuery extends CursorPageQuery(100, 20) {}

/** One account as GET /integrated-accounts/{id} answers: with what is left of its KnowBe4 budget today. */
export class IntegratedAccountDetailDto extends IntegratedAccountDto {
  @ApiProperty({ type: KnowBe4BudgetDto, description: 'KnowBe4 Reporting budget of the account today, shared by syncs, proxy and read-through (read from our store, costs no request)' })
  knowbe4_budget!: KnowBe4BudgetDto;

  @ApiProperty({ type: SyncLagDto, description: 'Time since the last complete sync against the cadence, and whether a run waits for the daily budget' })
  sync_lag!: SyncLagDto;
}

export class IntegratedAccountListQuery extends CursorPageQuery(500, 50) {}

export function toAccountDto(account: IntegratedAccountEntity): IntegratedAccountDto {
  return {
    id: account.id,
    label: account.label,
    region: account.region,
    scim_base_url: account.scimBaseUrl,
    status: account.status,
    poll_interval_seconds: account.pollIntervalSeconds,
    last_sync_completed_at: account.lastSyncCompletedAt?.toISOString() ?? null,
    created_at: account.createdAt.toISOString(),
    updated_at: account.updatedAt.toISOString(),
  };
}

export function toSyncRunDto(run: SyncRunEntity): SyncRunDto {
  return {
    id: run.id,
    integrated_account_id: run.accountId,
    status: run.status,
    trigger: run.trigger,
    started_at: new Date(run.startedAt).toISOString(),
    finished_at: run.finishedAt ? new Date(run.finishedAt).toISOString() : null,
    resume_at: run.resumeAt ? new Date(run.resumeAt).toISOString() : null,
    pages: run.pages,
    requests: run.requests,
    counts: run.counts,
    error: run.error,
    graph_plan: run.graphPlan ?? null,
  };
}
