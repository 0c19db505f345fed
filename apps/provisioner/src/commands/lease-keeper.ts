import type { OperationLease } from '@kb4/persistence';
import type { Logger } from 'pino';

/** How long a claimed attempt holds its operation unless renewed (renewed every third of it while SCIM is called). */
export const DEFAULT_LEASE_SECONDS = 30;

/** A delivery that found another one holding the lease asks again after the lease's remaining time, within 50 ms – 1 s. */
export function busyPollMs(leaseRemainingMs: number): number {
  return Math.min(1_000, Math.max(50, leaseRemainingMs));
}

export interface LeaseRenewer {
  renewLease(lease: OperationLease, leaseSeconds: number): Promise<boolean>;
}

/** Gives a lease up (a retry backs off, the process stops); when that fails the lease simply expires. */
export async function releaseLeaseQuietly(operations: { releaseLease(lease: OperationLease): Promise<void> }, lease: OperationLease, logger: Logger): Promise<void> {
  try {
    await operations.releaseLease(lease);
  } catch (error) {
    logger.warn({ err: error, operation_id: lease.operationId }, 'could not give the lease up; it expires on its own');
  }
}

/**
 * Keeps an attempt's lease alive while its SCIM call lasts: renews it every third of its length, so only a holder
 * that stopped (killed, stalled past the lease) loses it. `lost` turns true once a renewal found it gone; the outcome
 * is then refused anyway (the finish checks the token), this only lets the log say so early.
 */
export class LeaseKeeper {
  private timer?: NodeJS.Timeout;
  private renewing?: Promise<void>;
  lost = false;

  constructor(
    private readonly lease: OperationLease,
    private readonly leaseSeconds: number,
    private readonly renewer: LeaseRenewer,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => this.renew(), (leaseSeconds * 1000) / 3);
    this.timer.unref();
  }

  private renew(): void {
    if (this.renewing || this.lost) return;
    this.renewing = this.renewer
      .renewLease(this.lease, this.leaseSeconds)
      .then(
        (held) => {
          if (held) return;
          this.lost = true;
          this.logger.warn({ operation_id: this.lease.operationId }, 'lease lost while the SCIM call was in flight; another delivery redoes the command');
        },
        (error: unknown) => this.logger.warn({ err: error, operation_id: this.lease.operationId }, 'lease renewal failed; trying again'),
      )
      .finally(() => {
        this.renewing = undefined;
      });
  }

  /** Stops renewing (the call ended); waits for a renewal in flight so it cannot land after the outcome. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.renewing;
  }
}
