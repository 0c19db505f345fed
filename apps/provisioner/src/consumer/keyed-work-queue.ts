/** Thrown for a task whose predecessor of the same key failed: running it would break the key's order. */
export class PredecessorFailedError extends Error {
  constructor(readonly key: string) {
    super(`an earlier task of key ${key} failed; later tasks of that key are left for redelivery`);
    this.name = 'PredecessorFailedError';
  }
}

/**
 * Runs tasks so that tasks of one key run one after another, in submission order, while tasks of different
 * keys run concurrently, at most `concurrency` at a time. A failed task stops the rest of its key.
 */
export class KeyedWorkQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly concurrency: number) {
    if (!(concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
  }

  get active(): number {
    return this.running;
  }

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(
      () => this.withSlot(task),
      () => Promise.reject(new PredecessorFailedError(key)),
    );
    const tail = result.then(
      () => undefined,
      (error: unknown) => Promise.reject(error instanceof Error ? error : new Error(String(error))),
    );
    tail.catch(() => undefined);
    this.tails.set(key, tail);
    // Forget the key once its last task settles, so the map does not grow with every user ever seen.
    void tail.then(
      () => this.forget(key, tail),
      () => this.forget(key, tail),
    );
    return result;
  }

  private forget(key: string, tail: Promise<void>): void {
    if (this.tails.get(key) === tail) this.tails.delete(key);
  }

  private async withSlot<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running += 1;
    try {
      return await task();
    } finally {
      this.running -= 1;
      this.waiting.shift()?.();
    }
  }
}
