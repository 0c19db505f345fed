import { TOPICS, directoryEventKey, groupCommandKey, syncRunKey, userCommandKey } from './topics';
import { ALL_EVENT_TYPES, isEventType } from './event-types';

describe('topics and keys', () => {
  it('names the topics of design.md', () => {
    expect(Object.values(TOPICS).sort()).toEqual([
      'knowbe4.directory.events',
      'knowbe4.provisioning.commands',
      'knowbe4.provisioning.dlq',
      'knowbe4.provisioning.results',
      'knowbe4.roster.runs',
      'knowbe4.sync.runs',
    ]);
  });

  it.each([
    [directoryEventKey('acc-1', 'user', 667542), 'acc-1:user:667542'],
    [directoryEventKey('acc-1', 'group', '3264'), 'acc-1:group:3264'],
    [userCommandKey('acc-1', 'Jane.Doe@Example.com'), 'acc-1:user:jane.doe@example.com'],
    [groupCommandKey('acc-1', 3264), 'acc-1:group:3264'],
    [syncRunKey('acc-1'), 'acc-1'],
  ])('builds %s', (actual, expected) => {
    expect(actual).toBe(expected);
  });
});

describe('event types', () => {
  it('covers every type of design.md plus commands, results, DLQ and sync runs', () => {
    for (const type of [
      'knowbe4.user.created',
      'knowbe4.user.updated',
      'knowbe4.user.archived',
      'knowbe4.user.reactivated',
      'knowbe4.user.deleted',
      'knowbe4.user.risk_changed',
      'knowbe4.group.created',
      'knowbe4.group.updated',
      'knowbe4.group.deleted',
      'knowbe4.group.member_added',
      'knowbe4.group.member_removed',
      'knowbe4.training.enrollment_changed',
      'knowbe4.operation.succeeded',
      'knowbe4.operation.failed',
      'knowbe4.sync_run.started',
      'knowbe4.sync_run.completed',
      'knowbe4.sync_run.failed',
      'knowbe4.roster_run.started',
      'knowbe4.roster_run.completed',
      'knowbe4.roster_run.failed',
    ]) {
      expect(isEventType(type)).toBe(true);
    }
    expect(ALL_EVENT_TYPES.filter((type) => type.startsWith('knowbe4.command.'))).toHaveLength(8);
    expect(new Set(ALL_EVENT_TYPES).size).toBe(ALL_EVENT_TYPES.length);
  });
});
