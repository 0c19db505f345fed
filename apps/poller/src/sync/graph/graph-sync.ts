import { createHash } from 'node:crypto';
import { KnowBe4AuthError, KnowBe4BudgetExhaustedError, KnowBe4Error, type ReportingClient } from '@kb4/knowbe4';
import { toUnifiedPhishingCampaign, toUnifiedRecipient, toUnifiedRiskScoreHistory, toUnifiedSecurityTest } from '@kb4/mapping';
import { SyncRunLeaseLostError, type GraphRecordWrite, type IdentityGraphWriteRepository, type RiskSubject } from '@kb4/persistence';
import type { EntityManager } from 'typeorm';
import type { RunLedger } from '../run/run-ledger';
import { SyncInterrupted } from '../run/run-ledger';
import { CursorRejectedError, fetchPages, type ListPagination, type PaginationSetting } from '../walk/page-fetcher';
import { GraphPlan, GraphSettings, planGraphRefresh, planRecipients, PlannedStep, SubjectSlice } from './graph-plan';

export interface GraphDependencies {
  repository: IdentityGraphWriteRepository;
  settings: GraphSettings;
}

/** What a run did in the graph phase, saved beside its plan. */
export interface GraphOutcome {
  requests: number;
  written: { phishing_campaigns: number; security_tests: number; recipients: number; risk_points: number };
  /** Entries without an id, or not objects: dirty data, counted and never stored. */
  records_skipped: number;
  /** Risk histories KnowBe4 would not give (group history answers 500 now and then); read again next refresh. */
  subjects_failed: number;
  error?: string;
}

/** Where the graph phase stands; kept in the run's checkpoint so a resumed run goes on from here with the same plan. */
interface GraphCheckpoint {
  plan: GraphPlan;
  outcome: GraphOutcome;
  /** Index into plan.steps. */
  step: number;
  /** Within a step of subjects (tests, groups, users): the next subject. */
  item: number;
  /** Within a list: the last committed page, and how the list is walked (a cursor walk goes on from `cursor`). */
  page: number;
  pagination?: ListPagination;
  cursor?: string | null;
  /** Requests the current step has made so far (what its refresh record will say it cost). */
  stepRequests: number;
}

type Write = (manager: EntityManager) => Promise<void>;
/** Risk histories (or tests' recipients) read before their writes and the checkpoint commit in one transaction. */
const SUBJECTS_PER_COMMIT = 10;
const hash = (value: unknown): string => createHash('sha1').update(JSON.stringify(value)).digest('base64');
const emptyOutcome = (): GraphOutcome => ({ requests: 0, written: { phishing_campaigns: 0, security_tests: 0, recipients: 0, risk_points: 0 }, records_skipped: 0, subjects_failed: 0 });

/**
 * The identity-graph phase of a run: plans which resources are due and affordable (graph-plan.ts), records the plan
 * on the run, then refreshes them page by page (lists) or subject by subject (risk history, recipients per test),
 * each unit committed with the checkpoint. A spent budget parks the run like any other phase; any other failure of
 * the graph ends the phase (recorded in the plan) without failing the directory sync.
 */
export class GraphSync {
  private cp!: GraphCheckpoint;

  constructor(
    private readonly ledger: RunLedger,
    private readonly client: ReportingClient,
    private readonly graph: GraphDependencies,
    private readonly pagination: PaginationSetting,
  ) {}

  async run(): Promise<GraphPlan & { outcome: GraphOutcome }> {
    const { ledger } = this;
    const saved = ledger.checkpoint.graph as GraphCheckpoint | undefined;
    if (saved) this.cp = saved;
    else {
      this.cp = { plan: await this.plan(), outcome: emptyOutcome(), step: 0, item: 0, page: 0, stepRequests: 0 };
      // tests not due for a refresh: their recipients are chosen from the mirror as it is
      if (!this.cp.plan.steps.some((s) => s.resource === 'security_tests')) this.cp.plan = await this.withRecipients(this.cp.plan);
      await this.save();
    }
    try {
      while (this.cp.step < this.cp.plan.steps.length) {
        const step = this.cp.plan.steps[this.cp.step];
        await this.runStep(step);
        await this.finishStep(step);
      }
    } catch (error) {
      if (error instanceof KnowBe4BudgetExhaustedError || error instanceof KnowBe4AuthError || error instanceof SyncInterrupted || error instanceof SyncRunLeaseLostError || ledger.signal.aborted) throw error;
      ledger.log.warn({ err: error, step: this.cp.plan.steps[this.cp.step]?.resource }, 'identity graph refresh failed; the directory sync goes on, the graph is read again when due');
      this.cp.outcome.error = error instanceof Error ? error.message.slice(0, 300) : 'graph refresh failed';
      await this.save();
    }
    return { ...this.cp.plan, outcome: this.cp.outcome };
  }

  private async plan(): Promise<GraphPlan> {
    const { repository, settings } = this.graph;
    const accountId = this.ledger.account.id;
    const state = await repository.refreshStates(accountId);
    const sizes = await repository.sizes(accountId);
    const plan = planGraphRefresh({
      now: new Date(),
      settings,
      licensedUsers: (await repository.licensedUsers(accountId)) ?? sizes.users,
      state,
      spentInWindow: await repository.graphRequestsWithin(accountId, settings.budgetWindowSeconds),
      sizes,
      groups: await this.slice('group', state.get('group_risk')?.position ?? null, settings.maxRequestsPerRun),
      users: await this.slice('user', state.get('user_risk')?.position ?? null, settings.userRiskSlice),
    });
    this.ledger.log.info({ steps: plan.steps.map((s) => s.resource), skipped: plan.skipped, budget: plan.budget }, 'identity graph planned');
    return plan;
  }

  /** The next subjects after the last slice's position; a position past the last subject starts a new cycle. */
  private async slice(kind: 'group' | 'user', position: string | null, limit: number): Promise<SubjectSlice> {
    const next = await this.graph.repository.subjectIdsAfter(this.ledger.account.id, kind, position, limit);
    if (next.ids.length === 0 && position !== null) return { ...(await this.graph.repository.subjectIdsAfter(this.ledger.account.id, kind, null, limit)), midCycle: false };
    return { ...next, midCycle: position !== null };
  }

  private async runStep(step: PlannedStep): Promise<void> {
    switch (step.resource) {
      case 'phishing_campaigns':
        return this.walk('/phishing/campaigns', (raw) => toUnifiedPhishingCampaign(raw), async (manager, rows) => {
          await this.graph.repository.upsertCampaigns(manager, this.ledger.account.id, this.ledger.run.id, rows);
          this.cp.outcome.written.phishing_campaigns += rows.length;
        }, 'phishing_campaigns');
      case 'security_tests':
        return this.walk('/phishing/security_tests', (raw) => toUnifiedSecurityTest(raw), async (manager, rows) => {
          const tests = rows.map((r) => ({ ...r, campaignRemoteId: (r.record.campaign_id as string | null) ?? null, startedAt: (r.record.started_at as string | null) ?? null }));
          await this.graph.repository.upsertSecurityTests(manager, this.ledger.account.id, this.ledger.run.id, tests);
          this.cp.outcome.written.security_tests += rows.length;
        }, 'security_tests');
      case 'recipients':
        return this.eachSubject(step, (testId) =>
          this.walk(`/phishing/security_tests/${testId}/recipients`, (raw) => toUnifiedRecipient(raw), async (manager, rows) => {
            const recipients = rows.map((r) => {
              const user = r.record.user as { email: string | null } | null;
              return { ...r, userRemoteId: (r.record.user_id as string | null) ?? null, emailLower: user?.email?.toLowerCase() ?? null, scheduledAt: (r.record.scheduled_at as string | null) ?? null, result: r.record.result as string };
            });
            await this.graph.repository.upsertRecipients(manager, this.ledger.account.id, this.ledger.run.id, testId, recipients);
            this.cp.outcome.written.recipients += rows.length;
          }, undefined, testId),
        );
      case 'account_risk':
        return this.save(await this.risk({ type: 'account' }, () => this.client.getAccountRiskScoreHistory(undefined, { signal: this.ledger.signal })));
      case 'group_risk':
        return this.eachSubject(step, (id) => this.risk({ type: 'group', remoteId: id }, () => this.client.getGroupRiskScoreHistory(id, undefined, { signal: this.ledger.signal })));
      case 'user_risk':
        return this.eachSubject(step, (id) => this.risk({ type: 'user', remoteId: id }, () => this.client.getUserRiskScoreHistory(id, undefined, { signal: this.ledger.signal })));
    }
  }

  /**
   * Subjects one after the other, from the checkpoint's; the writes of up to SUBJECTS_PER_COMMIT of them commit together
   * with the checkpoint moved past them (a crash reads those again: a request each, against a transaction each).
   */
  private async eachSubject(step: PlannedStep, read: (id: string) => Promise<Write | void>): Promise<void> {
    const subjects = step.subjects ?? [];
    let pending: Write[] = [];
    let unsaved = 0;
    const flush = async (): Promise<void> => {
      const writes = pending;
      pending = [];
      unsaved = 0;
      await this.save(async (manager) => {
        for (const write of writes) await write(manager);
      });
    };
    while (this.cp.item < subjects.length) {
      this.ledger.throwIfAborted();
      const write = await read(subjects[this.cp.item]);
      if (write) pending.push(write);
      this.cp.item += 1;
      this.cp.page = 0;
      this.cp.cursor = null;
      if (++unsaved >= SUBJECTS_PER_COMMIT) await flush();
    }
    if (unsaved > 0) await flush();
  }

  /** One risk-score history read; its points are written with the checkpoint that moves past the subject. */
  private async risk(subject: RiskSubject, read: () => Promise<unknown>): Promise<Write | undefined> {
    const before = this.ledger.requests;
    let raw: unknown;
    try {
      raw = await read();
    } catch (error) {
      if (!(error instanceof KnowBe4Error) || error instanceof KnowBe4BudgetExhaustedError || error instanceof KnowBe4AuthError) throw error;
      // a 404 (the user left meanwhile) or KnowBe4's occasional 500 on group history: read again next refresh
      this.cp.outcome.subjects_failed += 1;
      this.countRequests(before);
      return undefined;
    }
    this.countRequests(before);
    const { points, skipped } = toUnifiedRiskScoreHistory(raw);
    this.cp.outcome.records_skipped += skipped;
    this.cp.outcome.written.risk_points += points.length;
    return (manager) =>
      this.graph.repository.upsertRiskScores(manager, this.ledger.account.id, this.ledger.run.id, subject, points.map((p) => ({ day: p.date, riskScore: p.risk_score })));
  }

  /**
   * A list read page by page, each page's rows committed with the checkpoint. A resumed cursor walk goes on from the
   * stored cursor; a resumed page-number walk starts the list again (it is short, and a shifted list could otherwise
   * skip a record that the unseen-row sweep would then delete). A refused cursor restarts the list once.
   */
  private async walk(
    path: string,
    map: (raw: unknown) => { ok: true; record: { id: string } } | { ok: false; reason: string },
    write: (manager: EntityManager, rows: GraphRecordWrite[]) => Promise<void>,
    sweep?: 'phishing_campaigns' | 'security_tests',
    testId?: string,
  ): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const resume = this.cp.page > 0 && this.cp.pagination === 'cursor';
      if (resume && this.cp.cursor === '') break;
      if (!resume) this.cp.page = 0;
      const pages = fetchPages(this.client, path, {}, {
        startPage: resume ? this.cp.page + 1 : 1,
        pagination: resume ? 'cursor' : this.pagination,
        startCursor: resume ? (this.cp.cursor ?? undefined) : undefined,
        perPage: this.graph.settings.perPage,
        concurrency: 1,
        signal: this.ledger.signal,
      });
      try {
        let before = this.ledger.requests;
        for await (const batch of pages) {
          for (const page of batch) {
            this.ledger.throwIfAborted();
            this.countRequests(before);
            before = this.ledger.requests;
            const rows: GraphRecordWrite[] = [];
            for (const raw of page.records) {
              const mapped = map(raw);
              if (!mapped.ok) {
                this.cp.outcome.records_skipped += 1;
                continue;
              }
              rows.push({ remoteId: mapped.record.id, record: mapped.record, remoteData: raw as Record<string, unknown>, contentHash: hash(raw) });
            }
            this.cp.page = page.page;
            this.cp.pagination = page.pagination;
            this.cp.cursor = page.pagination === 'cursor' ? (page.nextCursor ?? '') : null;
            this.ledger.pages += 1;
            await this.save((manager) => write(manager, rows));
          }
        }
        this.countRequests(before);
        break;
      } catch (error) {
        if (!(error instanceof CursorRejectedError) || attempt >= 1) throw error;
        this.ledger.log.warn({ path, page: error.page }, 'KnowBe4 refused a cursor; reading the list again from its start');
        this.cp.page = 0;
      }
    }
    if (sweep) await this.save((manager) => this.graph.repository.deleteUnseen(manager, this.ledger.account.id, this.ledger.run.id, sweep).then(() => undefined));
    if (testId !== undefined) await this.save((manager) => this.graph.repository.completeRecipients(manager, this.ledger.account.id, this.ledger.run.id, testId));
  }

  private async finishStep(step: PlannedStep): Promise<void> {
    const { repository } = this.graph;
    const accountId = this.ledger.account.id;
    const requests = this.cp.stepRequests;
    Object.assign(this.cp, { step: this.cp.step + 1, item: 0, page: 0, cursor: null, stepRequests: 0 });
    if (step.resource === 'security_tests') {
      // recipients are chosen now that the tests are fresh: changed ones, then recent ones, as the budget allows
      const unspent = Math.max(0, step.estimated_requests - requests);
      this.cp.plan = await this.withRecipients({ ...this.cp.plan, budget: { ...this.cp.plan.budget, available: this.cp.plan.budget.available + unspent } });
    }
    const position = step.resource === 'user_risk' || step.resource === 'group_risk' ? (step.position ?? null) : null;
    await this.save((manager) => repository.recordRefresh(manager, accountId, step.resource, this.ledger.run.id, requests, position));
  }

  private async withRecipients(plan: GraphPlan): Promise<GraphPlan> {
    const { repository, settings } = this.graph;
    const now = new Date();
    const candidates = await repository.recipientCandidates(
      this.ledger.account.id,
      new Date(now.getTime() - settings.recentTestDays * 86_400_000),
      new Date(now.getTime() - settings.cadences.recipients * 1000),
    );
    return planRecipients(plan, candidates, settings);
  }

  private countRequests(before: number): void {
    const made = this.ledger.requests - before;
    this.cp.stepRequests += made;
    this.cp.outcome.requests += made;
  }

  /** Commits `write` (if any) with the graph checkpoint and the plan as it stands, in the run's transaction. */
  private async save(write?: Write): Promise<void> {
    this.ledger.checkpoint = { ...this.ledger.checkpoint, graph: this.cp };
    await this.ledger.commit([], async (manager) => {
      if (write) await write(manager);
      await this.graph.repository.saveGraphPlan(manager, this.ledger.run.id, { ...this.cp.plan, outcome: this.cp.outcome });
    });
  }
}
