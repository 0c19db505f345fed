import { randomUUID } from 'node:crypto';
import type { AutomationStateRepository } from '@kb4/persistence';
import { PeriodicPass } from '@kb4/platform';
import type { Logger } from 'pino';
import { isInert, type AutomationEngine } from '../engine/automation-engine';

const PAGE = 200;
const LEASE_SECONDS = 60;
const PRUNE_EVERY_MS = 3_600_000;
// Kafka redelivers within hours; a week of de-duplication marks is plenty
const PROCESSED_EVENTS_KEPT_DAYS = 7;

/**
 * The periodic half of automations: a requested "re-evaluate everyone" pass (after a rule change or a group appearing),
 * page by page with its cursor saved after each page, so a crashed pass resumes where it stopped; and the sweep that
 * ends new-hire periods (their removal goes out through the ordinary evaluation).
 */
export class AutomationJobs {
  readonly owner = `automations-${randomUUID()}`;
  private readonly passes: PeriodicPass;
  private prunedAt = 0;

  constructor(
    private readonly state: AutomationStateRepository,
    private readonly engine: AutomationEngine,
    intervalMs: number,
    private readonly logger: Logger,
  ) {
    this.passes = new PeriodicPass(() => this.runOnce(), intervalMs, (error: unknown) => this.logger.error({ err: error }, 'automation jobs failed; retrying at the next tick'));
  }

  start(): void {
    this.passes.start();
  }

  stop(): Promise<void> {
    return this.passes.stop();
  }

  /** One round of both jobs (tests call it directly). */
  async runOnce(): Promise<void> {
    if (Date.now() - this.prunedAt > PRUNE_EVERY_MS) {
      await this.state.pruneProcessedEvents(PROCESSED_EVENTS_KEPT_DAYS);
      this.prunedAt = Date.now();
    }
    await this.sweepNewHires();
    while (!this.passes.isStopped && (await this.reevaluateOnePage())) {
      // keep going while passes have pages left
    }
  }

  private async sweepNewHires(): Promise<void> {
    for (;;) {
      const ended = await this.state.takeExpiredNewHires(PAGE);
      for (const hire of ended) await this.engine.evaluateUserById(hire.accountId, hire.userId, false);
      if (ended.length < PAGE) return;
    }
  }

  /** False when no pass is pending. */
  private async reevaluateOnePage(): Promise<boolean> {
    const claim = await this.state.claimReevaluation(this.owner, LEASE_SECONDS);
    if (!claim) return false;
    const context = await this.engine.context(claim.accountId);
    if (isInert(context)) return this.state.advanceReevaluation(claim, claim.cursorSeq, true);
    const users = await this.state.pageUsers(claim.accountId, claim.cursorSeq, PAGE);
    for (const user of users) await this.engine.evaluate(context, user);
    const last = users.length > 0 ? users[users.length - 1].seq : claim.cursorSeq;
    const finished = users.length < PAGE;
    await this.state.advanceReevaluation(claim, last, finished);
    if (finished) this.logger.info({ account: claim.accountId, generation: claim.generation }, 're-evaluated every user');
    return true;
  }
}
