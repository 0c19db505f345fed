import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const KNOWBE4_ACCOUNT_REGIONS = ['us', 'eu', 'ca', 'uk', 'de'] as const;
export type KnowBe4AccountRegion = (typeof KNOWBE4_ACCOUNT_REGIONS)[number];

/** One customer's KnowBe4 tenant connected to a workspace. Credentials are encrypted at rest. */
@Entity({ name: 'integrated_accounts' })
@Index(['workspaceId', 'createdAt'])
export class IntegratedAccountEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'workspace_id', type: 'uuid' })
  workspaceId!: string;

  @Column({ type: 'text' })
  label!: string;

  @Column({ type: 'text' })
  region!: KnowBe4AccountRegion;

  /** Opaque per account (KnowBe4 console "Tenant URL"); null means the region's default. */
  @Column({ name: 'scim_base_url', type: 'text', nullable: true })
  scimBaseUrl!: string | null;

  /** AES-256-GCM envelope of `{reporting_api_key, scim_token}`; see CredentialCipher. */
  @Column({ name: 'credentials_ciphertext', type: 'text' })
  credentialsCiphertext!: string;

  @Column({ name: 'credentials_key_id', type: 'text' })
  credentialsKeyId!: string;

  @Column({ type: 'text', default: 'active' })
  status!: 'active' | 'paused' | 'auth_failed';

  @Column({ name: 'poll_interval_seconds', type: 'integer', nullable: true })
  pollIntervalSeconds!: number | null;

  @Column({ name: 'last_sync_completed_at', type: 'timestamptz', nullable: true })
  lastSyncCompletedAt!: Date | null;

  /** When a run last read the enrollments list to its end (it is read on a cadence of its own). */
  @Column({ name: 'enrollments_read_at', type: 'timestamptz', nullable: true })
  enrollmentsReadAt!: Date | null;

  /** When a run last read GET /v1/account (seat figures; on a cadence of its own). */
  @Column({ name: 'account_read_at', type: 'timestamptz', nullable: true })
  accountReadAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
