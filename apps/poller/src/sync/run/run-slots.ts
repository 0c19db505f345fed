import type { WorkSlot } from '@kb4/knowbe4';

interface SlotWaiter {
  grant(): void;
}

/**
 * The runs of this process that may work at once (SYNC_MAX_CONCURRENT_RUNS). A run gives its slot back while it
 * waits for its account's pace (or a retry's backoff) and queues to take one again, first come first served, so a
 * run waiting for one tenant's budget never keeps another tenant's run from working. New runs start only on a slot
 * nobody queues for: runs back from a wait come first, and the working runs stay bounded.
 */
export class RunSlots {
  private inUse = 0;
  private readonly queue: SlotWaiter[] = [];

  constructor(
    readonly limit: number,
    /** Called whenever a slot is taken or given back (the gauges). */
    private readonly onChange?: () => void,
  ) {}

  /** Slots held by working runs. */
  get used(): number {
    return this.inUse;
  }

  /** Runs queued to take a slot back. */
  get queued(): number {
    return this.queue.length;
  }

  /** A slot for a new run: only a free one nobody queues for. */
  tryTake(): RunSlot | undefined {
    if (this.inUse >= this.limit || this.queue.length > 0) return undefined;
    this.inUse += 1;
    this.onChange?.();
    return new RunSlot(this, true);
  }

  /** A run started without a slot (a rescued run, a full replica): its first step queues for one. */
  withoutSlot(): RunSlot {
    return new RunSlot(this, false);
  }

  /** @internal RunSlot's side: resolves holding a slot; an abort leaves the queue. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (this.inUse < this.limit && this.queue.length === 0) {
      this.inUse += 1;
      this.onChange?.();
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.queue.indexOf(waiter);
        if (index >= 0) this.queue.splice(index, 1);
        reject(signal?.reason as Error);
      };
      const waiter: SlotWaiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.queue.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** @internal A slot goes straight to the first run queued for one, else back to the pool. */
  release(): void {
    const next = this.queue.shift();
    if (next) next.grant();
    else this.inUse -= 1;
    this.onChange?.();
  }
}

/**
 * One run's place among the working runs, handed to its Reporting client as the pacer's work slot. Giving back and
 * taking back are idempotent (a run in page mode has several requests waiting at once; it may finish a page already
 * fetched after another request gave the slot back); `close()` at the run's end.
 */
export class RunSlot implements WorkSlot {
  private taking?: Promise<void>;
  private closed = false;

  constructor(
    private readonly slots: RunSlots,
    private held: boolean,
  ) {}

  /** The run holds a slot (works, or may work) right now. */
  get holding(): boolean {
    return this.held;
  }

  giveBack(): void {
    if (!this.held || this.closed) return;
    this.held = false;
    this.slots.release();
  }

  takeBack(signal?: AbortSignal): Promise<void> {
    if (this.held || this.closed) return Promise.resolve();
    this.taking ??= this.slots.acquire(signal).then(
      () => {
        this.taking = undefined;
        // a run that ended while it queued does not keep the slot it was handed
        if (this.closed) this.slots.release();
        else this.held = true;
      },
      (error: unknown) => {
        this.taking = undefined;
        throw error;
      },
    );
    return this.taking;
  }

  /** The run ended: its slot goes to the next run. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.held) {
      this.held = false;
      this.slots.release();
    }
  }
}
