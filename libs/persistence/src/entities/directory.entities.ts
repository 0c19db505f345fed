import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { ENROLLMENT_GENERATED_KEYS } from '../migrations/1764620000001-generated-columns-metadata';

/**
 * The mirror of one account's KnowBe4 directory. `seq` never changes and is the pagination keyset.
 * bigint columns come back as strings (KnowBe4 ids exceed 2^32; JavaScript numbers are not trusted with them).
 */
@Entity({ name: 'directory_users' })
export class DirectoryUserEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  seq!: string;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId!: string;

  /** Reporting API id; null until a sync has seen a user that was created through SCIM. */
  @Column({ name: 'remote_id', type: 'bigint', nullable: true })
  remoteId!: string | null;

  @Column({ name: 'scim_id', type: 'text', nullable: true })
  scimId!: string | null;

  @Column({ name: 'provisioning_guid', type: 'text', nullable: true })
  provisioningGuid!: string | null;

  @Column({ name: 'email_lower', type: 'text', nullable: true })
  emailLower!: string | null;

  @Column({ name: 'employee_number', type: 'text', nullable: true })
  employeeNumber!: string | null;

  @Column({ type: 'text' })
  status!: 'active' | 'inactive';

  @Column({ name: 'first_name', type: 'text', nullable: true })
  firstName!: string | null;

  @Column({ name: 'last_name', type: 'text', nullable: true })
  lastName!: string | null;

  @Column({ type: 'text', nullable: true })
  department!: string | null;

  /** The unified user without `remote_data`. */
  @Column({ type: 'jsonb' })
  record!: Record<string, unknown>;

  /** The KnowBe4 Reporting record as fetched. */
  @Column({ name: 'remote_data', type: 'jsonb', nullable: true })
  remoteData!: Record<string, unknown> | null;

  @Column({ name: 'content_hash', type: 'text' })
  contentHash!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'last_seen_run_id', type: 'uuid', nullable: true })
  lastSeenRunId!: string | null;
}

@Entity({ name: 'directory_groups' })
export class DirectoryGroupEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  seq!: string;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId!: string;

  @Column({ name: 'remote_id', type: 'bigint', nullable: true })
  remoteId!: string | null;

  @Column({ name: 'scim_id', type: 'text', nullable: true })
  scimId!: string | null;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'jsonb' })
  record!: Record<string, unknown>;

  @Column({ name: 'remote_data', type: 'jsonb', nullable: true })
  remoteData!: Record<string, unknown> | null;

  @Column({ name: 'content_hash', type: 'text' })
  contentHash!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'last_seen_run_id', type: 'uuid', nullable: true })
  lastSeenRunId!: string | null;
}

@Entity({ name: 'directory_group_members' })
export class DirectoryGroupMemberEntity {
  @PrimaryColumn({ name: 'account_id', type: 'uuid' })
  accountId!: string;

  @PrimaryColumn({ name: 'group_remote_id', type: 'bigint' })
  groupRemoteId!: string;

  @PrimaryColumn({ name: 'user_remote_id', type: 'bigint' })
  userRemoteId!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_seen_run_id', type: 'uuid', nullable: true })
  lastSeenRunId!: string | null;
}

@Entity({ name: 'directory_enrollments' })
export class DirectoryEnrollmentEntity {
  @PrimaryColumn({ name: 'account_id', type: 'uuid' })
  accountId!: string;

  @PrimaryColumn({ name: 'remote_id', type: 'bigint' })
  remoteId!: string;

  @Column({ name: 'user_remote_id', type: 'bigint', nullable: true })
  userRemoteId!: string | null;

  @Column({ name: 'content_hash', type: 'text' })
  contentHash!: string;

  @Column({ type: 'jsonb' })
  record!: Record<string, unknown>;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'last_seen_run_id', type: 'uuid', nullable: true })
  lastSeenRunId!: string | null;
  /** read keys Postgres derives from the record (generated columns; never written) */
  @Column({ name: 'status_key', type: 'text', nullable: true, insert: false, update: false, generatedType: 'STORED', asExpression: ENROLLMENT_GENERATED_KEYS.statusKey })
  statusKey!: string | null;

  @Column({ name: 'campaign_remote_id', type: 'bigint', nullable: true, insert: false, update: false, generatedType: 'STORED', asExpression: ENROLLMENT_GENERATED_KEYS.campaignRemoteId })
  campaignRemoteId!: string | null;
}
