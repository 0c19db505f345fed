import { RunSlots } from './run-slots';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('RunSlots', () => {
  it('starts new runs only on free slots; a run that gives its slot back lets another start', () => {
    const slots = new RunSlots(1);
    const waiting = slots.tryTake()!;
    expect(slots.tryTake()).toBeUndefined();
    waiting.giveBack();
    const ready = slots.tryTake();
    expect(ready?.holding).toBe(true);
    expect(slots.used).toBe(1);
  });

  it('hands a freed slot to the run queued to take one back before any new run, first come first served', async () => {
    const slots = new RunSlots(1);
    const a = slots.tryTake()!;
    a.giveBack();
    const b = slots.tryTake()!;
    const back: string[] = [];
    void a.takeBack().then(() => back.push('a'));
    const c = slots.withoutSlot();
    void c.takeBack().then(() => back.push('c'));
    await settle();
    expect(back).toEqual([]);
    expect(slots.queued).toBe(2);
    b.close();
    // the slot passed to a; nothing is free for a new run while c queues
    await settle();
    expect(back).toEqual(['a']);
    expect(slots.tryTake()).toBeUndefined();
    a.giveBack();
    await settle();
    expect(back).toEqual(['a', 'c']);
    expect(slots.used).toBe(1);
  });

  it('gives back and takes back idempotently: several waiting requests of one run hold one slot', async () => {
    const slots = new RunSlots(2);
    const run = slots.tryTake()!;
    run.giveBack();
    run.giveBack();
    expect(slots.used).toBe(0);
    await Promise.all([run.takeBack(), run.takeBack()]);
    expect(slots.used).toBe(1);
    run.close();
    run.close();
    expect(slots.used).toBe(0);
  });

  it('an aborted run leaves the queue, and a run closed while queued passes the slot it is handed on', async () => {
    const slots = new RunSlots(1);
    const working = slots.tryTake()!;
    const abort = new AbortController();
    const aborted = slots.withoutSlot();
    const waitAborted = aborted.takeBack(abort.signal);
    const closed = slots.withoutSlot();
    const waitClosed = closed.takeBack();
    abort.abort(new Error('shutdown'));
    await expect(waitAborted).rejects.toThrow('shutdown');
    expect(slots.queued).toBe(1);
    closed.close();
    working.close();
    await waitClosed;
    expect(slots.used).toBe(0);
    expect(slots.tryTake()).toBeDefined();
  });
});
