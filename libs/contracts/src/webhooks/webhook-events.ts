/**
 * Webhook event names (Truto's), what a webhook's `events` filter lists. The dispatcher derives them from the Kafka
 * events: `record:*` from the directory events (the body's `resource` says user, group or group_membership),
 * `sync_job_run:*` from the sync runs, `integrated_account:*` from sync runs refused with `auth_error` and the first
 * completed run after one, `operation:*` from the provisioning results, `roster_run:*` from the roster runs
 * (`failed`: a run that completed with any item failed).
 */
export const WEBHOOK_EVENT_TYPES = [
  'record:created',
  'record:updated',
  'record:deleted',
  'sync_job_run:started',
  'sync_job_run:completed',
  'sync_job_run:failed',
  'integrated_account:authentication_error',
  'integrated_account:reactivated',
  'operation:succeeded',
  'operation:failed',
  'roster_run:started',
  'roster_run:completed',
  'roster_run:failed',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** What a `record:*` event is about. */
export const WEBHOOK_RECORD_RESOURCES = ['user', 'group', 'group_membership'] as const;
export type WebhookRecordResource = (typeof WEBHOOK_RECORD_RESOURCES)[number];

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}
