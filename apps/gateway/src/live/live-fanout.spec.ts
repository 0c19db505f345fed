import type { LiveChange } from './live-change';
import { LiveFanout, type LiveSubscriber } from './live-fanout';

const change = (account: string): LiveChange => ({ id: `e-${account}`, type: 'knowbe4.operation.succeeded', time: '2026-11-28T08:00:00.000Z', integrated_account_id: account, operation_id: 'op-1' });

function recorder(): LiveSubscriber & { seen: LiveChange[]; closed: boolean } {
  const subscriber = { seen: [] as LiveChange[], closed: false, deliver: (c: LiveChange) => void subscriber.seen.push(c), close: () => void (subscriber.closed = true) };
  return subscriber;
}

describe('LiveFanout', () => {
  const owners: Record<string, string> = { 'acc-a': 'ws-a', 'acc-b': 'ws-b' };

  it('sends a change to every stream of the workspace that owns the account, and to no other workspace', async () => {
    const fanout = new LiveFanout(async (account) => owners[account] ?? null);
    const [a1, a2, b] = [recorder(), recorder(), recorder()];
    fanout.add('ws-a', a1);
    fanout.add('ws-a', a2);
    fanout.add('ws-b', b);
    await fanout.deliver(change('acc-a'));
    await fanout.deliver(change('acc-unknown'));
    expect([a1.seen.length, a2.seen.length, b.seen.length]).toEqual([1, 1, 0]);
  });

  it('stops sending to a stream once it is removed, and looks an owner up once per few minutes', async () => {
    let lookups = 0;
    let now = 0;
    const fanout = new LiveFanout(async (account) => (lookups++, owners[account] ?? null), () => now);
    const a = recorder();
    const remove = fanout.add('ws-a', a);
    await fanout.deliver(change('acc-a'));
    await fanout.deliver(change('acc-a'));
    remove();
    await fanout.deliver(change('acc-a'));
    expect([a.seen.length, lookups, fanout.size]).toEqual([2, 1, 0]);
    fanout.add('ws-a', a);
    now += 6 * 60_000;
    await fanout.deliver(change('acc-a'));
    expect(lookups).toBe(2);
  });

  it('treats an owner lookup that fails as no owner, and ends every stream on closeAll', async () => {
    const fanout = new LiveFanout(async () => Promise.reject(new Error('postgres is away')));
    const a = recorder();
    fanout.add('ws-a', a);
    await fanout.deliver(change('acc-a'));
    fanout.closeAll();
    expect([a.seen.length, a.closed, fanout.size]).toEqual([0, true, 0]);
  });
});
