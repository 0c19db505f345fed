import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export type SyncRunStatus = 'queued' | 'running' | 'waiting_for_budget' | 'completed' | 'failed';

@Entity({ name: 'sync_runs' })
export class SyncRunEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId!: string;

  @Column({ type: 'text' })
  status!: SyncRunStatus;

  @Column({ type: 'text', default: 'schedule' })
  trigger!: string;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  /** When a run paused for KnowBe4's daily budget may continue. */
  @Column({ name: 'resume_at', type: 'timestamptz', nullable: true })
  resumeAt!: Date | null;

  @Column({ type: 'integer', default: 0 })
  pages!: number;

  @Column({ type: 'integer', default: 0 })
  requests!: number;

  @Column({ type: 'jsonb', default: {} })
  counts!: Record<string, number>;

  @Column({ type: 'jsonb', nullable: true })
  checkpoint!: Record<string, unknown> | null;

  /** What the run planned to refresh of the identity graph, what it skipped and why, and what it did (poller sync/graph). */
  @Column({ name: 'graph_plan', type: 'jsonb', nullable: true })
  graphPlan!: Record<string, unknown> | null;

  /** the requests this run planned per list (fleet scheduling: the day's budget per tenant) */
  @Column({ name: 'request_plan', type: 'jsonb', nullable: true })
  requestPlan!: Record<string, unknown> | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'lease_owner', type: 'text', nullable: true })
  leaseOwner!: string | null;

  @Column({ name: 'lease_expires_at', type: 'timestamptz', nullable: true })
  leaseExpiresAt!: Date | null;
}

/** Events waiting to be published, written in the same transaction as the change they describe. */
@Entity({ name: 'outbox_events' })
export class OutboxEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  seq!: string;

  @Column({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ type: 'text' })
  topic!: string;

  @Column({ name: 'message_key', type: 'text' })
  messageKey!: string;

  @Column({ name: 'event_type', type: 'text' })
  eventType!: string;

  /** The whole CloudEvent. */
  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;
}

export const OPERATION_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

/** One provisioning write requested through the unified API. */
@Entity({ name: 'operations' })
export class OperationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'workspace_id', type: 'uuid' })
  workspaceId!: string;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId!: string;

  @Column({ type: 'text' })
  kind!: string;

  @Column({ type: 'text' })
  status!: OperationStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  /** The Kafka key of its commands: one user or group, so its commands apply in order. */
  @Column({ name: 'target_key', type: 'text' })
  targetKey!: string;

  @Column({ type: 'jsonb' })
  request!: Record<string, unknown>;

  @Column({ type: 'jsonb', nullable: true })
  result!: Record<string, unknown> | null;

  @Column({ type: 'jsonb', nullable: true })
  error!: Record<string, unknown> | null;

  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey!: string | null;

  @Column({ name: 'request_hash', type: 'text', nullable: true })
  requestHash!: string | null;

  /** Who asked: `{type: 'api_key', id}`, `{type: 'admin'}`, `{type: 'roster', roster_run_id}`, `{type: 'automation', …}`; null on older rows. */
  @Column({ type: 'jsonb', nullable: true })
  actor!: Record<string, unknown> | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  /** Times the reconciler (or a retry of a stuck operation) re-published its command from Postgres. */
  @Column({ name: 'republish_count', type: 'integer', default: 0 })
  republishCount!: number;

  /** Not re-published again before this (per-operation backoff). */
  @Column({ name: 'republish_after', type: 'timestamptz', nullable: true })
  republishAfter!: Date | null;

  /** The provisioner attempt that holds the operation (claimed, SCIM call in flight); only it may write the outcome. */
  @Column({ name: 'lease_token', type: 'uuid', nullable: true })
  leaseToken!: string | null;

  /** Until then no other delivery may claim the operation; the holder renews it while its SCIM call lasts. */
  @Column({ name: 'lease_expires_at', type: 'timestamptz', nullable: true })
  leaseExpiresAt!: Date | null;
}

@Entity({ name: 'processed_commands' })
export class ProcessedCommandEntity {
  @PrimaryColumn({ name: 'command_id', type: 'uuid' })
  commandId!: string;

  @Column({ name: 'operation_id', type: 'uuid' })
  operationId!: string;

  @Column({ name: 'processed_at', type: 'timestamptz' })
  processedAt!: Date;
}
