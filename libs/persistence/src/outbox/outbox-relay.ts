import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { OutboxLag, OutboxRepository, PendingOutboxRow } from './outbox.repository';

export type OutboxPublish = (batch: readonly PendingOutboxRow[]) => Promise<void>;

export interface OutboxRelayOptions {
  /** One relay of a name publishes at a time (a Postgres advisory lock keyed by it). */
  name: string;
  /** Only rows of these topics are relayed. */
  topics: string[];
  /** Postgres URL for the relay's own session (advisory lock + LISTEN). */
  databaseUrl: string;
  /** Sends a batch; must resolve only once the broker acknowledged every message. */
  publish: OutboxPublish;
  batchSize?: number;
  /** Poll interval when idle; NOTIFY `outbox_events` wakes the relay earlier. */
  pollIntervalMs?: number;
  /** First retry delay after a failed publish; doubles up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Published rows are kept this long for de-duplication, then purged. */
  retentionSeconds?: number;
  onPublished?: (rows: readonly PendingOutboxRow[]) => void;
  onError?: (error: Error, context: { phase: 'publish' | 'database' | 'lock'; attempt: number }) => void;
}

export const OUTBOX_NOTIFY_CHANNEL = 'outbox_events';

const sleep = (ms: number, wake: { promise: Promise<void> }): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void wake.promise.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Publishes outbox rows in `seq` order, one batch at a time, and marks them published only after the broker
 * acknowledged them. A failed batch is retried from its first row (nothing later overtakes it), so order per
 * key holds; a crash between publish and mark re-publishes with the same event ids (at-least-once).
 */
export class OutboxRelay {
  private readonly repository: OutboxRepository;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private session?: Client;
  private running = false;
  private loop?: Promise<void>;
  private wake = OutboxRelay.signal();
  /** Set by a nudge that arrived while a batch was being published, so the loop goes again instead of sleeping. */
  private nudgedWhileBusy = false;
  private holdsLock = false;
  private lastPurge = 0;

  constructor(
    dataSource: DataSource,
    private readonly options: OutboxRelayOptions,
  ) {
    this.repository = new OutboxRepository(dataSource);
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
  }

  private static signal(): { promise: Promise<void>; fire: () => void } {
    let fire = (): void => undefined;
    const promise = new Promise<void>((resolve) => (fire = resolve));
    return { promise, fire };
  }

  get isLeader(): boolean {
    return this.holdsLock;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Wakes the loop at once (e.g. right after a commit that enqueued rows). */
  nudge(): void {
    this.nudgedWhileBusy = true;
    const current = this.wake;
    this.wake = OutboxRelay.signal();
    current.fire();
  }

  /** Finishes the batch in flight, releases the lock, closes the session. */
  async stop(): Promise<void> {
    this.running = false;
    this.nudge();
    await this.loop;
    await this.closeSession();
  }

  lag(): Promise<OutboxLag> {
    return this.repository.lag(this.options.topics);
  }

  /** Publishes until nothing is pending; for tests and benchmarks. Returns rows published. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const published = await this.publishOneBatch();
      if (published === 0) return total;
      total += published;
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        if (!(await this.ensureLeadership())) {
          await sleep(Math.max(this.pollIntervalMs, 1000), this.wake);
          continue;
        }
        this.nudgedWhileBusy = false;
        const published = await this.publishOneBatch();
        failures = 0;
        await this.maybePurge();
        if (published < this.batchSize && !this.nudgedWhileBusy) await sleep(this.pollIntervalMs, this.wake);
      } catch (error) {
        failures += 1;
        const delay = Math.min(this.options.maxRetryDelayMs ?? 10_000, (this.options.retryDelayMs ?? 200) * 2 ** Math.min(failures - 1, 10));
        this.options.onError?.(error as Error, { phase: (error as { phase?: 'publish' }).phase ?? 'database', attempt: failures });
        if (!this.session || (error as { phase?: string }).phase === 'lock') await this.closeSession();
        await sleep(delay, this.wake);
      }
    }
  }

  private async publishOneBatch(): Promise<number> {
    const batch = await this.repository.claimPending(this.batchSize, this.options.topics);
    if (batch.length === 0) return 0;
    try {
      await this.options.publish(batch);
    } catch (error) {
      throw Object.assign(error instanceof Error ? error : new Error(String(error)), { phase: 'publish' });
    }
    await this.repository.markPublished(batch.map((row) => row.seq));
    this.options.onPublished?.(batch);
    return batch.length;
  }

  private async ensureLeadership(): Promise<boolean> {
    if (this.session && this.holdsLock) return true;
    if (!this.session) {
      const session = new Client({ connectionString: this.options.databaseUrl, application_name: `outbox-relay:${this.options.name}` });
      session.on('error', () => void this.closeSession());
      session.on('notification', () => this.nudge());
      await session.connect();
      await session.query(`LISTEN ${OUTBOX_NOTIFY_CHANNEL}`);
      this.session = session;
    }
    const { rows } = await this.session.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(hashtext($1)) AS locked`, [
      `outbox-relay:${this.options.name}`,
    ]);
    this.holdsLock = rows[0]?.locked === true;
    return this.holdsLock;
  }

  private async maybePurge(): Promise<void> {
    const retention = this.options.retentionSeconds ?? 7 * 24 * 3600;
    if (Date.now() - this.lastPurge < 60_000) return;
    this.lastPurge = Date.now();
    await this.repository.purgePublished(this.options.topics, retention);
  }

  private async closeSession(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    this.holdsLock = false;
    if (session) await session.end().catch(() => undefined);
  }
}
