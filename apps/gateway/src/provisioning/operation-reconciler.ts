import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { OperationEntity, OperationRepository, OutboxRepository, republishedCommand, stalledScanOf } from '@kb4/persistence';
import { createLogger, metricsRegistry, PeriodicPass } from '@kb4/platform';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import { GatewayConfig } from '../config/gateway.config';
import { CommandRelay } from './command-relay';

export const republishedOperations = new Counter({
  name: 'kb4_operations_republished_total',
  help: 'Commands re-published from Postgres for operations with no progress, by reason (stalled: the reconciler; retry: POST /operations/{id}/retry)',
  labelNames: ['reason'],
  registers: [metricsRegistry],
});

// A larger backlog than one scan's limit is taken in further rounds of the same tick.
const MAX_ROUNDS_PER_TICK = 10;

// shared with the CLI's `operation retry`
export { republishedCommand, stalledScanOf } from '@kb4/persistence';

/**
 * Nothing accepted is ever lost: operations queued or running with no progress for OPERATION_STALL_SECONDS get
 * their command re-published from Postgres (the outbox, then the CommandRelay). A broker that lost its log, a
 * trimmed topic or a crashed relay cannot strand a write; the provisioner recognises a command whose operation has
 * finished and skips it. One reconciler per database scans at a time (advisory lock); every process runs one.
 */
@Injectable()
export class OperationReconciler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly passes: PeriodicPass;
  private readonly logger: Logger;

  constructor(
    @Inject(OperationRepository) private readonly operations: OperationRepository,
    @Inject(OutboxRepository) private readonly outbox: OutboxRepository,
    @Inject(CommandRelay) private readonly relay: Pick<CommandRelay, 'nudge'>,
    @Inject(GatewayConfig) private readonly config: Pick<GatewayConfig, 'OPERATION_STALL_SECONDS' | 'OPERATION_RECONCILE_INTERVAL_SECONDS' | 'LOG_LEVEL'>,
  ) {
    this.logger = createLogger('gateway', config.LOG_LEVEL).child({ component: 'operation-reconciler' });
    this.passes = new PeriodicPass(
      () => this.reconcileOnce(),
      config.OPERATION_RECONCILE_INTERVAL_SECONDS * 1000,
      // the message only: a driver error carries the statement's parameters
      (error: unknown) => this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'operation reconciler scan failed; trying again at the next interval'),
    );
  }

  onApplicationBootstrap(): void {
    if (this.config.OPERATION_RECONCILE_INTERVAL_SECONDS > 0) this.passes.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.passes.stop();
  }

  /** One scan (tests call it directly): re-publishes what is stalled now; null when another reconciler holds the lock. */
  async reconcileOnce(): Promise<OperationEntity[] | null> {
    const scan = stalledScanOf(this.config);
    const all: OperationEntity[] = [];
    for (let round = 0; round < MAX_ROUNDS_PER_TICK && !this.passes.isStopped; round++) {
      const batch = await this.operations.republishStalled(scan, async (manager, operations) => {
        await this.outbox.enqueue(manager, operations.map(republishedCommand));
      });
      if (batch === null) return round === 0 ? null : all;
      all.push(...batch);
      if (batch.length > 0) {
        republishedOperations.inc({ reason: 'stalled' }, batch.length);
        this.relay.nudge();
        for (const operation of batch) {
          this.logger.warn(
            { operation_id: operation.id, status: operation.status, attempts: operation.attempts, republish_count: operation.republishCount, stalled_since: operation.updatedAt.toISOString() },
            'operation made no progress; its command was re-published from Postgres',
          );
        }
      }
      if (batch.length < scan.limit) break;
    }
    return all;
  }
}
