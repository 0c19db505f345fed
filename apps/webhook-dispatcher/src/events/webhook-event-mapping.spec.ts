import { buildCloudEvent } from '@kb4/contracts';
import { mapKafkaEvent, webhookBody } from './webhook-event-mapping';

const event = (type: string, data: Record<string, unknown> = {}) =>
  buildCloudEvent({ id: 'e1', type, source: '/integrated-accounts/a1', time: '2026-11-28T04:00:00.000Z', data: { integrated_account_id: 'a1', ...data } });

describe('Kafka event → webhook events', () => {
  it.each([
    ['knowbe4.user.created', 'record:created', 'user'],
    ['knowbe4.user.updated', 'record:updated', 'user'],
    ['knowbe4.user.archived', 'record:updated', 'user'],
    ['knowbe4.user.reactivated', 'record:updated', 'user'],
    ['knowbe4.user.risk_changed', 'record:updated', 'user'],
    ['knowbe4.user.deleted', 'record:deleted', 'user'],
    ['knowbe4.group.created', 'record:created', 'group'],
    ['knowbe4.group.updated', 'record:updated', 'group'],
    ['knowbe4.group.deleted', 'record:deleted', 'group'],
    ['knowbe4.group.member_added', 'record:created', 'group_membership'],
    ['knowbe4.group.member_removed', 'record:deleted', 'group_membership'],
  ])('%s is %s of a %s', (type, webhookType, resource) => {
    expect(mapKafkaEvent(event(type))).toEqual({ events: [{ type: webhookType, resource }] });
  });

  it('maps sync runs, operation results and roster runs, and nothing else', () => {
    expect(mapKafkaEvent(event('knowbe4.sync_run.started'))).toEqual({ events: [{ type: 'sync_job_run:started' }] });
    expect(mapKafkaEvent(event('knowbe4.operation.succeeded'))).toEqual({ events: [{ type: 'operation:succeeded' }] });
    expect(mapKafkaEvent(event('knowbe4.operation.failed'))).toEqual({ events: [{ type: 'operation:failed' }] });
    expect(mapKafkaEvent(event('knowbe4.roster_run.started'))).toEqual({ events: [{ type: 'roster_run:started' }] });
    expect(mapKafkaEvent(event('knowbe4.roster_run.completed'))).toEqual({ events: [{ type: 'roster_run:completed' }] });
    expect(mapKafkaEvent(event('knowbe4.roster_run.failed'))).toEqual({ events: [{ type: 'roster_run:failed' }] });
    expect(mapKafkaEvent(event('knowbe4.training.enrollment_changed'))).toEqual({ events: [] });
    expect(mapKafkaEvent(event('knowbe4.command.user.create'))).toEqual({ events: [] });
    expect(mapKafkaEvent(event('knowbe4.sync.record_skipped'))).toEqual({ events: [] });
  });

  it('reports a group deleted through the API as record:deleted too, since no sync will ever see it go', () => {
    expect(mapKafkaEvent(event('knowbe4.operation.succeeded', { command_type: 'knowbe4.command.group.delete' }))).toEqual({
      events: [{ type: 'operation:succeeded' }, { type: 'record:deleted', resource: 'group' }],
    });
    expect(mapKafkaEvent(event('knowbe4.operation.failed', { command_type: 'knowbe4.command.group.delete' }))).toEqual({ events: [{ type: 'operation:failed' }] });
  });

  it('marks the account failing on a run refused with auth_error, and working again on a completed run', () => {
    expect(mapKafkaEvent(event('knowbe4.sync_run.failed', { error: { code: 'auth_error', message: '401' } }))).toEqual({
      events: [{ type: 'sync_job_run:failed' }],
      authentication: 'failed',
    });
    expect(mapKafkaEvent(event('knowbe4.sync_run.failed', { error: { code: 'remote_error', message: '503' } }))).toEqual({ events: [{ type: 'sync_job_run:failed' }] });
    expect(mapKafkaEvent(event('knowbe4.sync_run.completed'))).toEqual({ events: [{ type: 'sync_job_run:completed' }], authentication: 'working' });
  });

  it('sends the CloudEvent as data beside the webhook event name', () => {
    const created = event('knowbe4.user.created');
    expect(webhookBody('record:created', created, 'a1', 'user')).toEqual({
      type: 'record:created',
      timestamp: '2026-11-28T04:00:00.000Z',
      resource: 'user',
      integrated_account_id: 'a1',
      data: created,
    });
  });
});
