import { buildCloudEvent } from '@kb4/contracts';
import { triggerOf } from './triggers';

const account = '3f7c2a10-9b8e-4d55-a1c2-6e0f4b7d9a21';
const event = (type: string, data: Record<string, unknown>) =>
  buildCloudEvent({ id: 'e1', type, source: `/integrated-accounts/${account}`, time: new Date(0), data: { integrated_account_id: account, ...data } });

describe('what an event asks of automations', () => {
  it.each([
    ['a user a sync saw created is a new hire', event('knowbe4.user.created', { remote_id: '7' }), { kind: 'user', accountId: account, userId: '7', newHire: true }],
    ['so is a reactivated one', event('knowbe4.user.reactivated', { remote_id: '7' }), { kind: 'user', accountId: account, userId: '7', newHire: true }],
    ['an update is evaluated', event('knowbe4.user.updated', { remote_id: '7' }), { kind: 'user', accountId: account, userId: '7', newHire: false }],
    ['a console membership edit is evaluated', event('knowbe4.group.member_removed', { remote_id: '9', user_id: '7' }), { kind: 'user', accountId: account, userId: '7', newHire: false }],
    ['a new group re-evaluates the account', event('knowbe4.group.created', { remote_id: '9' }), { kind: 'account', accountId: account }],
    [
      'a user created through us (no sync yet) is a new hire, by SCIM id',
      event('knowbe4.operation.succeeded', { command_type: 'knowbe4.command.user.create', remote_id: null, scim_id: 'abc' }),
      { kind: 'user', accountId: account, userId: 'abc', newHire: true },
    ],
    [
      'our user update is evaluated, and checked for a reactivation by its operation',
      event('knowbe4.operation.succeeded', { command_type: 'knowbe4.command.user.update', operation_id: 'op-1', remote_id: '7', scim_id: 'abc' }),
      { kind: 'user', accountId: account, userId: '7', newHire: false, reactivatedBy: 'op-1' },
    ],
    ['our group create re-evaluates the account', event('knowbe4.operation.succeeded', { command_type: 'knowbe4.command.group.create' }), { kind: 'account', accountId: account }],
    ['our own membership writes trigger nothing', event('knowbe4.operation.succeeded', { command_type: 'knowbe4.command.group.add_members' }), { kind: 'none' }],
    ['a failed operation triggers nothing', event('knowbe4.operation.failed', { command_type: 'knowbe4.command.user.create' }), { kind: 'none' }],
  ])('%s', (_name, input, expected) => expect(triggerOf(input)).toEqual(expected));

  it('ignores events without an account', () => {
    expect(triggerOf(buildCloudEvent({ id: 'e', type: 'knowbe4.user.created', source: '/x', time: new Date(0), data: { remote_id: '1' } }))).toEqual({ kind: 'none' });
  });
});
