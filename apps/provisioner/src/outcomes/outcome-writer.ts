import type { DataSource, EntityManager } from 'typeorm';

/** One outcome's writes (operation row, processed mark, mirror, audit, outbox); throws to refuse it (e.g. a lost lease). */
export type OutcomeWrite = (manager: EntityManager) => Promise<void>;

interface Pending {
  write: OutcomeWrite;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface OutcomeWriterOptions {
  /** Most outcomes committed in one transaction. */
  maxBatch?: number;
}

/**
 * Writes outcomes of concurrent commands in shared transactions: while one transaction commits, the outcomes that
 * arrive wait and then go together in the next one (no timer: a lone outcome is written at once). Each outcome
 * is all-or-nothing as before — when any outcome of a batch throws, the batch rolls back and each of its outcomes is
 * written again in a transaction of its own, so one lost lease or bad row never takes the others with it.
 */
export class OutcomeWriter {
  private readonly queue: Pending[] = [];
  private flushing = false;
  private readonly maxBatch: number;

  constructor(
    private readonly dataSource: DataSource,
    options: OutcomeWriterOptions = {},
  ) {
    this.maxBatch = Math.max(1, options.maxBatch ?? 32);
  }

  /** Resolves once the outcome is committed; rejects with what its write threw (nothing of it is written then). */
  write(write: OutcomeWrite): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        if (batch.length > 1 && (await this.writeTogether(batch))) continue;
        for (const item of batch) await this.writeAlone(item);
      }
    } finally {
      this.flushing = false;
    }
  }

  /** True when every outcome of the batch was committed in one transaction (each is then resolved). */
  private async writeTogether(batch: Pending[]): Promise<boolean> {
    try {
      await this.dataSource.transaction(async (manager) => {
        for (const item of batch) await item.write(manager);
      });
    } catch {
      return false;
    }
    for (const item of batch) item.resolve();
    return true;
  }

  private async writeAlone(item: Pending): Promise<void> {
    try {
      await this.dataSource.transaction((manager) => item.write(manager));
      item.resolve();
    } catch (error) {
      item.reject(error);
    }
  }
}
