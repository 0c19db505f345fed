import type { AttemptClaim, ClaimInput } from '@kb4/persistence';

/** The repository side: many claims in one statement, answered in input order (OperationRepository.claimAttempts). */
export interface ClaimStatement {
  claimAttempts(inputs: readonly ClaimInput[]): Promise<AttemptClaim[]>;
}

interface Pending {
  input: ClaimInput;
  resolve: (claim: AttemptClaim) => void;
  reject: (error: unknown) => void;
}

export interface AttemptClaimerOptions {
  /** Most claims in one statement. */
  maxBatch?: number;
}

/**
 * Claims the attempts of concurrent commands in shared statements: the claims asked for in one turn of the event
 * loop (a Kafka batch handed to the work queue) go together, and while a statement runs, the claims that arrive
 * wait and go together in the next — one round trip for many commands, and no timer (a lone claim waits one
 * setImmediate). Each claim is answered as it would be alone. A statement that fails is tried again claim by claim,
 * so one bad input (an id Postgres refuses) fails only its own command.
 */
export class AttemptClaimer {
  private readonly queue: Pending[] = [];
  private scheduled = false;
  private flushing = false;
  private readonly maxBatch: number;

  constructor(
    private readonly statement: ClaimStatement,
    options: AttemptClaimerOptions = {},
  ) {
    this.maxBatch = Math.max(1, options.maxBatch ?? 64);
  }

  claim(input: ClaimInput): Promise<AttemptClaim> {
    return new Promise<AttemptClaim>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (this.flushing || this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        void this.flush();
      });
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        if (batch.length > 1 && (await this.claimTogether(batch))) continue;
        for (const item of batch) await this.claimAlone(item);
      }
    } finally {
      this.flushing = false;
    }
  }

  /** True when one statement answered every claim of the batch (each is then resolved). */
  private async claimTogether(batch: Pending[]): Promise<boolean> {
    let claims: AttemptClaim[];
    try {
      claims = await this.statement.claimAttempts(batch.map((item) => item.input));
    } catch {
      return false;
    }
    batch.forEach((item, index) => item.resolve(claims[index]));
    return true;
  }

  private async claimAlone(item: Pending): Promise<void> {
    try {
      const [claim] = await this.statement.claimAttempts([item.input]);
      item.resolve(claim);
    } catch (error) {
      item.reject(error);
    }
  }
}
