import { KeyedWorkQueue, PredecessorFailedError } from './keyed-work-queue';
import { PartitionProgress } from './partition-progress';

const tick = (ms = 1): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('KeyedWorkQueue', () => {
  it('runs the tasks of one key in submission order and different keys concurrently', async () => {
    const queue = new KeyedWorkQueue(4);
    const log: string[] = [];
    let concurrent = 0;
    let maxConcurrent = 0;
    const task = (name: string, ms: number) => async (): Promise<void> => {
      concurrent += 1;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      log.push(`start ${name}`);
      await tick(ms);
      log.push(`end ${name}`);
      concurrent -= 1;
    };
    await Promise.all([
      queue.run('a', task('a1', 20)),
      queue.run('b', task('b1', 1)),
      queue.run('a', task('a2', 1)),
      queue.run('b', task('b2', 1)),
    ]);
    expect(log.indexOf('end a1')).toBeLessThan(log.indexOf('start a2'));
    expect(log.indexOf('end b1')).toBeLessThan(log.indexOf('start b2'));
    expect(log.indexOf('start b1')).toBeLessThan(log.indexOf('end a1'));
    expect(maxConcurrent).toBe(2);
  });

  it('never runs more than its concurrency at once', async () => {
    const queue = new KeyedWorkQueue(3);
    let concurrent = 0;
    let maxConcurrent = 0;
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        queue.run(`k${i}`, async () => {
          concurrent += 1;
          maxConcurrent = Math.max(maxConcurrent, concurrent);
          await tick(2);
          concurrent -= 1;
        }),
      ),
    );
    expect(maxConcurrent).toBe(3);
  });

  it('stops the rest of a key after a failure and leaves other keys alone', async () => {
    const queue = new KeyedWorkQueue(2);
    const ran: string[] = [];
    const results = await Promise.allSettled([
      queue.run('a', () => Promise.reject(new Error('boom'))),
      queue.run('a', async () => void ran.push('a2')),
      queue.run('b', async () => void ran.push('b1')),
    ]);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: new Error('boom') });
    expect(results[1]).toMatchObject({ status: 'rejected' });
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(PredecessorFailedError);
    expect(ran).toEqual(['b1']);
    // A later submission for the key starts afresh once the failed chain has settled.
    await tick();
    await expect(queue.run('a', async () => 'again')).resolves.toBe('again');
  });
});

describe('PartitionProgress', () => {
  it('commits only past a finished prefix of the offsets taken', () => {
    const progress = new PartitionProgress();
    for (const offset of ['10', '11', '12', '13']) expect(progress.take(offset)).toBe(true);
    expect(progress.complete('11')).toBeUndefined();
    expect(progress.complete('10')).toBe('12');
    expect(progress.complete('13')).toBeUndefined();
    expect(progress.unfinished).toBe(1);
    expect(progress.firstUnfinished).toBe('12');
    expect(progress.complete('12')).toBe('14');
    expect(progress.unfinished).toBe(0);
    expect(progress.firstUnfinished).toBeUndefined();
  });

  it('refuses a refetched offset and never commits once abandoned', () => {
    const progress = new PartitionProgress();
    progress.take('5');
    expect(progress.take('5')).toBe(false);
    expect(progress.take('4')).toBe(false);
    progress.abandoned = true;
    expect(progress.complete('5')).toBeUndefined();
  });

  it('handles offsets beyond 2^53 and long runs without keeping every offset', () => {
    const progress = new PartitionProgress();
    progress.take('9007199254740993');
    expect(progress.complete('9007199254740993')).toBe('9007199254740994');
    const many = new PartitionProgress();
    for (let offset = 0; offset < 5000; offset++) many.take(String(offset));
    for (let offset = 4999; offset > 0; offset--) expect(many.complete(String(offset))).toBeUndefined();
    expect(many.complete('0')).toBe('5000');
  });
});
