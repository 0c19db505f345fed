import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import type { AccountSubscription, ArchivedUserRow, ArchiveSource, SeatCounts } from '@kb4/persistence';
import { PageLimit } from '../http/page-limit';
import { PageOf } from '../http/page.dto';

export const ARCHIVE_SOURCES: readonly ArchiveSource[] = ['api', 'roster', 'automation', 'knowbe4-console', 'unknown'];

// KnowBe4's help article on archiving and deleting users (the behaviour the response states)
export const KNOWBE4_ARCHIVE_ARTICLE = 'https://support.knowbe4.com/hc/en-us/articles/204367808-Archive-or-Delete-a-User';
export const KNOWBE4_ACTIVE_USERS_ARTICLE = 'https://support.knowbe4.com/hc/en-us/articles/115009703607-Update-User-List-with-Active-Users';

export const ARCHIVING_KEEPS_HISTORY =
  'Archiving (DELETE /unified/user-directory/users/{id}, a roster leaver, or Archive in the KnowBe4 console) keeps the ' +
  'user\'s phishing and training history: KnowBe4 stops sending them phishing tests and training, no longer counts them ' +
  'as a licensed seat, can still include them in reports, and restores them with their history when they are reactivated. ' +
  'Only deleting a user in the KnowBe4 console removes that history; this API never deletes users.';

export class LicensesQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 50, example: 50, description: 'Archived users per page' })
  @PageLimit(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'The archived_users.next_cursor of the previous page (opaque; keep limit unchanged while paging)', example: 'eyJ2IjoxLCJkIjoibiJ9.c2ln' })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  next_cursor?: string;
}

export class LicenseActorDto {
  @ApiProperty({ enum: ['api_key', 'admin', 'roster', 'automation'], example: 'api_key', description: 'Who asked for the write' })
  type!: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: '5b0c8e62-3f1d-4a8e-9d7c-2f4f7f0e9a11', description: 'The API key id (type api_key), roster run id or automation rule id' })
  id?: string | null;
}

export class ArchivedUserDto {
  @ApiProperty({ example: '667542', description: 'Unified user id (the KnowBe4 Reporting id; the SCIM id until a sync has seen the user)' })
  id!: string;

  @ApiProperty({ type: String, nullable: true, example: 'grace.hopper@example.com', format: 'email' })
  email!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Grace' })
  first_name!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Hopper' })
  last_name!: string | null;

  @ApiProperty({
    format: 'date-time',
    example: '2026-11-20T14:03:11.000Z',
    description: 'KnowBe4\'s archived_at as the last sync mirrored it; before a sync has seen the archive, when our archiving write finished',
  })
  archived_at!: string;

  @ApiProperty({
    enum: ARCHIVE_SOURCES,
    example: 'api',
    description:
      '`api`: a write through this API (operation_id, actor); `roster`: a roster run\'s leaver; `automation`: an automation; ' +
      '`knowbe4-console`: a sync saw the user archived and none of our writes did it (the KnowBe4 console, or another tool writing to KnowBe4); ' +
      '`unknown`: archived in our mirror with no write of ours on record and not yet confirmed by a sync',
  })
  source!: ArchiveSource;

  @ApiProperty({ type: String, nullable: true, format: 'uuid', example: '0b9e1c9a-6a53-4c1c-8f0e-4a1f2f7c9d10', description: 'The operation that archived the user (GET /operations/{id}); null unless source is api, roster or automation' })
  operation_id!: string | null;

  @ApiProperty({ type: LicenseActorDto, nullable: true, description: 'Who asked for that operation; null when unknown (console archives, operations recorded before actors were kept)' })
  actor!: LicenseActorDto | null;
}

export class ArchivedUserPageDto extends PageOf(ArchivedUserDto, 'Archived users, most recently archived first') {}

export class ArchivingPolicyDto {
  @ApiProperty({ type: Boolean, example: true, description: 'Archived users keep their training and phishing history in KnowBe4' })
  keeps_history!: boolean;

  @ApiProperty({ example: ARCHIVING_KEEPS_HISTORY })
  description!: string;

  @ApiProperty({ type: [String], format: 'uri', example: [KNOWBE4_ARCHIVE_ARTICLE, KNOWBE4_ACTIVE_USERS_ARTICLE], description: 'KnowBe4\'s documentation of it' })
  sources!: string[];
}

export class LicensesDto {
  @ApiProperty({ format: 'uuid', example: '3f7c2a10-9b8e-4d55-a1c2-6e0f4b7d9a21' })
  integrated_account_id!: string;

  @ApiProperty({ type: 'integer', nullable: true, example: 550, description: 'KnowBe4\'s number_of_seats (GET /v1/account, read by the last sync); null for trial accounts, which omit it, and before the first sync' })
  seats_purchased!: number | null;

  @ApiProperty({ type: 'integer', example: 512, description: 'Active users: KnowBe4 counts each active user as a licensed seat, archived ones not' })
  seats_used!: number;

  @ApiProperty({ type: 'integer', nullable: true, example: 38, description: 'seats_purchased − seats_used (negative when over the licence); null when seats_purchased is' })
  seats_free!: number | null;

  @ApiProperty({ type: 'integer', example: 512 })
  active_users!: number;

  @ApiProperty({ type: 'integer', example: 41 })
  archived_users!: number;

  @ApiProperty({ type: 'integer', example: 6, description: 'Users archived in the last 30 days who are still archived (a reactivated user takes its seat back)' })
  seats_freed_last_30_days!: number;

  @ApiProperty({ type: 'integer', example: 17, description: 'As seats_freed_last_30_days, over 90 days' })
  seats_freed_last_90_days!: number;

  @ApiProperty({ type: String, nullable: true, example: 'Diamond', description: 'KnowBe4\'s subscription_level (absent on trial accounts)' })
  subscription_level!: string | null;

  @ApiProperty({ type: String, nullable: true, example: '2027-06-30', description: 'KnowBe4\'s subscription_end_date' })
  subscription_end_date!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time', example: '2026-11-28T04:15:00.000Z', description: 'When a sync last read GET /v1/account; null before the first completed sync. The counts are the mirror\'s as of now' })
  seats_synced_at!: string | null;

  @ApiProperty({ type: ArchivingPolicyDto })
  archiving!: ArchivingPolicyDto;

  @ApiProperty({ type: ArchivedUserPageDto, description: 'The archived users, with when and through what each was archived (paged with limit / next_cursor)' })
  archived!: ArchivedUserPageDto;
}

function actorOf(actor: Record<string, unknown> | null): LicenseActorDto | null {
  if (!actor || typeof actor.type !== 'string') return null;
  const id = actor.id ?? actor.roster_run_id ?? actor.rule_id ?? null;
  return { type: actor.type, id: typeof id === 'string' ? id : null };
}

export function toArchivedUserDto(row: ArchivedUserRow): ArchivedUserDto {
  return {
    id: row.remoteId ?? row.scimId ?? row.seq,
    email: row.email,
    first_name: row.firstName,
    last_name: row.lastName,
    archived_at: new Date(row.archivedAt).toISOString(),
    source: row.source,
    operation_id: row.operationId,
    actor: row.operationId ? actorOf(row.actor) : null,
  };
}

export function toLicensesDto(
  accountId: string,
  subscription: AccountSubscription | null,
  counts: SeatCounts,
  archived: ArchivedUserPageDto,
): LicensesDto {
  const purchased = subscription?.numberOfSeats ?? null;
  return {
    integrated_account_id: accountId,
    seats_purchased: purchased,
    seats_used: counts.activeUsers,
    seats_free: purchased === null ? null : purchased - counts.activeUsers,
    active_users: counts.activeUsers,
    archived_users: counts.archivedUsers,
    seats_freed_last_30_days: counts.freedLast30Days,
    seats_freed_last_90_days: counts.freedLast90Days,
    subscription_level: subscription?.subscriptionLevel ?? null,
    subscription_end_date: subscription?.subscriptionEndDate ?? null,
    seats_synced_at: subscription ? new Date(subscription.fetchedAt).toISOString() : null,
    archiving: { keeps_history: true, description: ARCHIVING_KEEPS_HISTORY, sources: [KNOWBE4_ARCHIVE_ARTICLE, KNOWBE4_ACTIVE_USERS_ARTICLE] },
    archived,
  };
}
