import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  emptyRosterCounts,
  isExcludedFromRoster,
  planRosterArchive,
  planRosterUser,
  RosterChange,
  RosterCounts,
  RosterExclusions,
  RosterGroupRef,
} from '@kb4/mapping';
import { NewRosterItem, RosterPlanRepository, RosterRunRepository, StagedRosterRow } from '@kb4/persistence';
import { ApiError } from '@kb4/platform';
import { GatewayConfig } from '../config/gateway.config';
import { changeView, rosterItem } from './roster-items';
import { RosterRowError, validateRosterRow } from './roster-row-validation';
import type { UploadedRosterRow } from './roster-upload';

/** Errors listed in a 422; the rest are counted in `more`. */
export const ROSTER_ERRORS_SHOWN = 100;
/** Changes a plan answer shows; the whole plan is GET /roster-runs/{id}/items. */
export const ROSTER_CHANGES_SHOWN = 100;
const STAGE_BATCH = 2000;
const PLAN_PAGE = 1000;

export interface RosterPlan {
  roster_run_id: string;
  rows: number;
  counts: RosterCounts;
  unchanged: number;
  excluded: number;
  active_users: number;
  archive_share: number;
  changes: Array<Record<string, unknown>>;
  changes_total: number;
  changes_truncated: boolean;
  /** The guard rail: the plan archives more than ROSTER_MAX_ARCHIVE_SHARE / _COUNT, so applying it needs force=true. */
  needs_force: boolean;
}

function refused(errors: RosterRowError[], total: number): ApiError {
  return new ApiError(422, `the roster was refused: ${total} problem(s) in its rows; nothing was changed`, {
    errors: errors.slice(0, ROSTER_ERRORS_SHOWN),
    more: Math.max(0, total - ROSTER_ERRORS_SHOWN),
  });
}

/** Accumulates a plan: items written in batches, counts, and the first changes for the answer. */
class PlanSink {
  readonly counts = emptyRosterCounts();
  readonly shown: Array<Record<string, unknown>> = [];
  private batch: NewRosterItem[] = [];
  private itemNo = 0;

  constructor(private readonly runs: RosterRunRepository, private readonly runId: string, private readonly accountId: string) {}

  async add(change: RosterChange): Promise<void> {
    this.counts[change.action]++;
    if (this.shown.length < ROSTER_CHANGES_SHOWN) this.shown.push(changeView(change));
    this.batch.push(rosterItem(this.accountId, ++this.itemNo, change));
    if (this.batch.length >= PLAN_PAGE) await this.flush();
  }

  async flush(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    await this.runs.insertItems(this.runId, batch);
  }

  get total(): number {
    return this.itemNo;
  }
}

/**
 * Plans a roster run: stages the uploaded rows (in batches, as they arrive), refuses the upload with every bad row
 * named, matches rows to the mirror in SQL, diffs each person with the pure planner, and stores the plan as items.
 */
@Injectable()
export class RosterPlanner {
  constructor(
    @Inject(RosterPlanRepository) private readonly staging: RosterPlanRepository,
    @Inject(RosterRunRepository) private readonly runs: RosterRunRepository,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  async plan(input: { workspaceId: string; accountId: string; dryRun: boolean; force: boolean; rows: AsyncIterable<UploadedRosterRow> }): Promise<{ plan: RosterPlan; status: 'planned' | 'running' }> {
    const runId = randomUUID();
    await this.runs.createRun({ id: runId, workspaceId: input.workspaceId, accountId: input.accountId, dryRun: input.dryRun, forced: input.force });
    let kept = false;
    try {
      const rowCount = await this.stage(runId, input.rows);
      if (rowCount === 0) throw new ApiError(400, 'the roster has no rows: an empty roster would archive everyone; nothing was changed');
      await this.checkDuplicates(runId);
      const groups = await this.resolveGroups(runId, input.accountId);
      await this.staging.matchRows(runId, input.accountId);
      await this.checkSharedMatches(runId);
      const plan = await this.buildPlan(runId, input.accountId, rowCount, groups);
      kept = true;
      return { plan, status: await this.decide(runId, plan, input) };
    } finally {
      await this.staging.dropStagedRows(runId);
      if (!kept) await this.runs.deleteRun(runId);
    }
  }

  private async stage(runId: string, rows: AsyncIterable<UploadedRosterRow>): Promise<number> {
    const errors: RosterRowError[] = [];
    let errorCount = 0;
    let batch: StagedRosterRow[] = [];
    let count = 0;
    // one batch is written while the next is parsed: memory stays at two batches, Postgres and parsing overlap
    let writing: Promise<void> = Promise.resolve();
    try {
      for await (const row of rows) {
        count++;
        const checked = validateRosterRow(row);
        errorCount += checked.errors.length;
        if (errors.length < ROSTER_ERRORS_SHOWN) errors.push(...checked.errors);
        if (!checked.staged || errorCount > 0) continue; // keep reading to name every bad row, stop staging
        batch.push(checked.staged);
        if (batch.length >= STAGE_BATCH) {
          await writing;
          writing = this.staging.stageRows(runId, batch);
          writing.catch(() => undefined); // handled below; not an unhandled rejection while the next batch is parsed
          batch = [];
        }
      }
    } finally {
      await writing.catch(() => undefined);
    }
    await writing; // its failure, if any
    if (errorCount > 0) throw refused(errors, errorCount);
    await this.staging.stageRows(runId, batch);
    return count;
  }

  private async checkDuplicates(runId: string): Promise<void> {
    const duplicates = await this.staging.duplicateKeys(runId, ROSTER_ERRORS_SHOWN + 1);
    if (duplicates.length === 0) return;
    const errors = duplicates.map((d) => ({
      line: d.lines[0],
      field: d.field === 'email' ? 'username' : 'external_id',
      reason: `${d.field === 'email' ? 'email' : 'employee number'} ${JSON.stringify(d.value)} appears on lines ${d.lines.join(', ')}`,
      lines: d.lines,
    }));
    throw refused(errors, errors.length);
  }

  /** Every group the roster names must be a console group of the account (unknown names are refused, not created). */
  private async resolveGroups(runId: string, accountId: string): Promise<Map<string, RosterGroupRef>> {
    const named = await this.staging.namedGroups(runId);
    const found = await this.staging.groupsByName(accountId, named.map((g) => g.name));
    const errors: RosterRowError[] = [];
    const refs = new Map<string, RosterGroupRef>();
    for (const { name, line } of named) {
      const group = found.get(name);
      const id = group?.remoteId ?? group?.scimId;
      if (!group || !id) errors.push({ line, field: 'groups', reason: `no group named ${JSON.stringify(name)} in this KnowBe4 account; create it first (POST /unified/user-directory/groups)` });
      else if (group.type === 'smart_group') errors.push({ line, field: 'groups', reason: `${JSON.stringify(group.name)} is a smart group; KnowBe4 SCIM writes console groups only` });
      else refs.set(name, { id, keyId: id, scimId: group.scimId, name: group.name });
    }
    if (errors.length > 0) throw refused(errors, errors.length);
    return refs;
  }

  private async checkSharedMatches(runId: string): Promise<void> {
    const shared = await this.staging.sharedMatches(runId, ROSTER_ERRORS_SHOWN + 1);
    if (shared.length === 0) return;
    const errors = shared.map((s) => ({
      line: s.lines[0],
      field: 'external_id',
      reason: `lines ${s.lines.join(', ')} match the same KnowBe4 user (${s.email}) by employee number and by email`,
      lines: s.lines,
    }));
    throw refused(errors, errors.length);
  }

  private async buildPlan(runId: string, accountId: string, rowCount: number, groups: Map<string, RosterGroupRef>): Promise<RosterPlan> {
    const exclude = (await this.staging.exclusions(accountId)) as RosterExclusions;
    const sink = new PlanSink(this.runs, runId, accountId);
    let unchanged = 0;
    let excluded = 0;
    // the next page is read while this one is planned
    let next = this.staging.matchedPage(runId, 0, PLAN_PAGE);
    for (;;) {
      const page = await next;
      if (page.length === PLAN_PAGE) {
        next = this.staging.matchedPage(runId, page[page.length - 1].line, PLAN_PAGE);
        next.catch(() => undefined); // awaited at the next round; a failure of this round must not leave it unhandled
      }
      for (const row of page) {
        if (row.mirror && isExcludedFromRoster(row.mirror, exclude)) {
          excluded++;
          continue;
        }
        const changes = planRosterUser({ line: row.line, user: row.user, groups: row.groups }, row.mirror, { groups });
        if (changes.length === 0) unchanged++;
        for (const change of changes) await sink.add(change);
      }
      if (page.length < PLAN_PAGE) break;
    }
    for (let after = '0'; ; ) {
      const page = await this.staging.unmatchedActivePage(runId, accountId, after, PLAN_PAGE);
      for (const user of page) {
        if (isExcludedFromRoster(user, exclude)) excluded++;
        else await sink.add(planRosterArchive(user));
      }
      if (page.length < PLAN_PAGE) break;
      after = page[page.length - 1].seq;
    }
    await sink.flush();
    const activeUsers = await this.staging.activeUserCount(accountId);
    return {
      roster_run_id: runId,
      rows: rowCount,
      counts: sink.counts,
      unchanged,
      excluded,
      active_users: activeUsers,
      archive_share: activeUsers === 0 ? 0 : Math.round((sink.counts.archive / activeUsers) * 10_000) / 10_000,
      changes: sink.shown,
      changes_total: sink.total,
      changes_truncated: sink.total > sink.shown.length,
      needs_force: false,
    };
  }

  /** The guard rail, then: a dry run is stored as planned; otherwise the run starts (one running run per account). */
  private async decide(runId: string, plan: RosterPlan, input: { dryRun: boolean; force: boolean }): Promise<'planned' | 'running'> {
    const { ROSTER_MAX_ARCHIVE_SHARE: maxShare, ROSTER_MAX_ARCHIVE_COUNT: maxCount } = this.config;
    const archive = plan.counts.archive;
    const tooMany = archive > 0 && (plan.archive_share > maxShare || archive > maxCount);
    plan.needs_force = tooMany;
    if (tooMany && !input.force && !input.dryRun) {
      const refusal = { archive, active_users: plan.active_users, archive_share: plan.archive_share, max_archive_share: maxShare, max_archive_count: maxCount };
      await this.runs.finishPlanning(runId, 'refused', plan.rows, plan.counts, refusal);
      throw new ApiError(
        409,
        `the roster would archive ${archive} of ${plan.active_users} active users (share ${plan.archive_share}; limits: share ${maxShare}, count ${maxCount}); send force=true if that is intended`,
        { ...refusal, roster_run_id: runId, counts: plan.counts },
      );
    }
    const status = input.dryRun ? 'planned' : 'running';
    if (!(await this.runs.finishPlanning(runId, status, plan.rows, plan.counts, null))) {
      await this.runs.finishPlanning(runId, 'refused', plan.rows, plan.counts, { reason: 'another roster run of this account is running' });
      throw new ApiError(409, 'another roster run of this account is still running; wait for it to complete (GET /roster-runs)');
    }
    return status;
  }
}
