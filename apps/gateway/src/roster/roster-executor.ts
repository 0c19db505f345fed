import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { OperationRepository, PendingRosterItem, recordWriteIntent, rosterItemKey, RosterRunRepository } from '@kb4/persistence';
import { createLogger, PeriodicPass } from '@kb4/platform';
import type { Logger } from 'pino';
import { GatewayConfig } from '../config/gateway.config';
import { requestHashOf, WriteIntent } from '../provisioning/write-intents';
import { batchedMembersIntent, rosterBatchIdempotencyKey, rosterIdempotencyKey } from './roster-items';

const BATCH = 200;
const MAX_ROUNDS_PER_TICK = 50;
// operations recorded at once per batch (each is one round trip)
const PARALLEL = 8;

/**
 * Turns the items of running roster runs into ordinary operations (operation row + command in the outbox, the
 * CommandRelay publishes them), in batches, and completes runs whose operations have all finished. Resumable: an
 * item gets its operation under the idempotency key `roster:{run}:{item}`, so an executor that died between
 * recording operations and marking the items gets the same operations back; several gateways share the work
 * (SKIP LOCKED). It runs in every gateway process.
 */
@Injectable()
export class RosterExecutor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly passes: PeriodicPass;
  private readonly logger: Logger;

  constructor(
    @Inject(OperationRepository) private readonly operations: OperationRepository,
    @Inject(RosterRunRepository) private readonly runs: RosterRunRepository,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {
    this.logger = createLogger('gateway', config.LOG_LEVEL).child({ component: 'roster-executor' });
    this.passes = new PeriodicPass(
      () => this.runOnce(),
      config.ROSTER_EXECUTOR_INTERVAL_MS,
      // the message only: a driver error carries the statement's parameters
      (error: unknown) => this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'roster executor pass failed; trying again at the next interval'),
    );
  }

  onApplicationBootstrap(): void {
    if (this.config.ROSTER_EXECUTOR_INTERVAL_MS > 0) this.passes.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.passes.stop();
  }

  /** After a run starts: the next tick now rather than at the interval. */
  nudge(): void {
    if (this.config.ROSTER_EXECUTOR_INTERVAL_MS > 0) this.passes.nudge();
  }

  /** One pass (tests call it directly): enqueues pending items, then completes finished runs. */
  async runOnce(): Promise<{ enqueued: number; completed: string[] }> {
    let enqueued = 0;
    for (let round = 0; round < MAX_ROUNDS_PER_TICK && !this.passes.isStopped; round++) {
      const count = await this.runs.enqueuePending(BATCH, (items) => this.enqueue(items));
      enqueued += count;
      if (count < BATCH) break;
    }
    const completed = await this.runs.completeFinishedRuns();
    for (const run of completed) {
      this.logger.info({ roster_run_id: run.id, integrated_account_id: run.account_id, progress: run.progress }, 'roster run completed');
    }
    return { enqueued, completed: completed.map((run) => run.id) };
  }

  private async enqueue(items: PendingRosterItem[]): Promise<Map<string, string>> {
    const recorded = new Map<string, string>();
    const singles = items.filter((item) => item.batch_no === null);
    // a batch's items may be split across rounds or executors: each builds the same operation from the whole batch
    const batches = new Map<string, PendingRosterItem[]>();
    for (const item of items) {
      if (item.batch_no === null) continue;
      const key = `${item.run_id}:${item.batch_no}`;
      batches.set(key, [...(batches.get(key) ?? []), item]);
    }
    const work: Array<() => Promise<void>> = [
      ...singles.map((item) => async () => {
        const operationId = await this.record(item, item.intent as unknown as WriteIntent, rosterIdempotencyKey(item.run_id, item.item_no));
        recorded.set(rosterItemKey(item), operationId);
      }),
      ...[...batches.values()].map((locked) => async () => {
        const { run_id: runId, batch_no: batchNo } = locked[0];
        const whole = await this.runs.batchItems(runId, batchNo!);
        const intent = batchedMembersIntent(whole.map((item) => item.intent as unknown as WriteIntent));
        const operationId = await this.record(locked[0], intent, rosterBatchIdempotencyKey(runId, batchNo!));
        for (const item of locked) recorded.set(rosterItemKey(item), operationId);
      }),
    ];
    for (let start = 0; start < work.length; start += PARALLEL) await Promise.all(work.slice(start, start + PARALLEL).map((step) => step()));
    return recorded;
  }

  /** One operation with its command in the outbox; an idempotency key already used returns that operation. */
  private async record(item: PendingRosterItem, intent: WriteIntent, idempotencyKey: string): Promise<string> {
    const { operation } = await recordWriteIntent(this.operations, intent, {
      workspaceId: item.workspace_id,
      accountId: item.account_id,
      idempotencyKey,
      requestHash: requestHashOf(item.account_id, intent),
      actor: { type: 'roster', roster_run_id: item.run_id },
    });
    return operation.id;
  }
}
