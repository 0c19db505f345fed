import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { isExcludedFromRoster, planRosterArchive, planRosterLateRemovals, planRosterUser, RosterCounts, RosterExclusions } from '@kb4/mapping';
import { RosterKeyStage, RosterMirrorRow, RosterPlanRepository, RosterRunRepository, StagedRosterRow } from '@kb4/persistence';
import { ApiError } from '@kb4/platform';
import { GatewayConfig } from '../config/gateway.config';
import { RosterGroupCatalog } from './roster-group-catalog';
import { PlanSink } from './roster-plan-sink';
import { RosterRowError, validateRosterRow, ValidRosterRow } from './roster-row-validation';
import type { UploadedRosterRow } from './roster-upload';

/** Errors listed in a 422; the rest are counted in `more`. */
export const ROSTER_ERRORS_SHOWN = 100;
// rows matched and planned at once (two batches are in memory: one planned while the next is read)
const ROW_BATCH = 1000;
// items written at once, and rows read per page by the passes after the upload
const ITEM_BATCH = 1000;
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

interface PlanContext {
  sink: PlanSink;
  catalog: RosterGroupCatalog;
  exclude: RosterExclusions;
}

function refused(errors: RosterRowError[], total: number): ApiError {
  return new ApiError(422, `the roster was refused: ${total} problem(s) in its rows; nothing was changed`, {
    errors: errors.slice(0, ROSTER_ERRORS_SHOWN),
    more: Math.max(0, total - ROSTER_ERRORS_SHOWN),
  });
}

// Mirror record fields the planner reads only when a row sends them (username, groups and status it always reads)
const ROW_COMPARED_RECORD_FIELDS = [
  'id',
  'external_id',
  'first_name',
  'last_name',
  'name',
  'emails',
  'phones',
  'title',
  'organizations',
  'languages',
  'created_at',
  'updated_at',
  'last_active_at',
  'department',
  'division',
  'location',
  'manager',
  'employee_start_date',
  'phish_prone_percentage',
  'current_risk_score',
];

/** The record fields no row of the batch sends: the mirror lookup leaves them out. */
function unusedRecordFields(rows: readonly ValidRosterRow[]): string[] {
  const sent = new Set<string>();
  for (const row of rows) for (const field in row.user) sent.add(field);
  return ROW_COMPARED_RECORD_FIELDS.filter((field) => !sent.has(field));
}

/** Awaits every promise (none is left running), then throws the first failure in list order, else returns the values. */
async function settledInOrder<T extends readonly unknown[]>(promises: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

interface RowPass {
  rows: number;
  firstLine: number;
  unchanged: number;
  excluded: number;
}

/**
 * Plans a roster run in one pass over the upload: each batch of rows is validated, matched to the mirror (employee
 * number, then email), diffed by the pure planner and stored as items, while the rows' keys stream into staging with
 * COPY; then the checks over the whole upload (duplicates, unknown groups, two rows on one user) run in SQL and refuse
 * it with every bad row named, and the active users no row matched become archives. Memory holds two batches.
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
    await this.runs.abandonInterruptedPlanning(input.accountId);
    await this.runs.createRun({ id: runId, workspaceId: input.workspaceId, accountId: input.accountId, dryRun: input.dryRun, forced: input.force });
    let kept = false;
    let dropping: Promise<void> | undefined;
    try {
      const exclude = (await this.staging.exclusions(input.accountId)) as RosterExclusions;
      const sink = new PlanSink(this.runs, runId, input.accountId);
      const catalog = new RosterGroupCatalog(this.staging, input.accountId);
      const pass = await this.planRows(runId, input.accountId, input.rows, { sink, catalog, exclude });
      if (pass.rows === 0) throw new ApiError(400, 'the roster has no rows: an empty roster would archive everyone; nothing was changed');
      // the checks over the whole upload read staging at once (each on its own connection); refusals keep their order
      const checks = await settledInOrder([
        this.staging.analyzeStagedRows(),
        this.checkDuplicates(runId),
        catalog.problem ? this.refuseGroups(runId, input.accountId) : Promise.resolve(),
        this.checkSharedMatches(runId),
        this.staging.activeUserCount(input.accountId),
      ] as const);
      const activeUsers = checks[4];
      pass.unchanged -= await this.planLateRemovals(runId, pass.firstLine, { sink, catalog, exclude });
      pass.excluded += await this.planArchives(runId, input.accountId, sink, exclude);
      await sink.flush();
      const plan = this.summary(runId, activeUsers, pass, sink);
      kept = true;
      // staging is emptied while the run's outcome is stored
      dropping = this.staging.dropStagedRows(runId);
      const [status] = await Promise.all([this.decide(runId, plan, input), dropping]);
      return { plan, status };
    } finally {
      await (dropping ?? this.staging.dropStagedRows(runId));
      if (!kept) await this.runs.deleteRun(runId);
    }
  }

  /** The pass over the upload: rows validated as they arrive; while one batch is matched and planned, the next is read. */
  private async planRows(runId: string, accountId: string, rows: AsyncIterable<UploadedRosterRow>, plan: PlanContext): Promise<RowPass> {
    const errors: RosterRowError[] = [];
    let errorCount = 0;
    const pass: RowPass = { rows: 0, firstLine: 0, unchanged: 0, excluded: 0 };
    let batch: ValidRosterRow[] = [];
    // batches are matched as soon as they are read and planned in order; at most two are in flight while one is read
    let planned: Promise<void> = Promise.resolve();
    let older: Promise<void> = Promise.resolve();
    const start = (rows: ValidRosterRow[]): void => {
      const matching = this.staging.matchBatch(accountId, rows, unusedRecordFields(rows));
      matching.catch(() => undefined); // awaited by its planning step
      const planning = planned.then(() => this.planBatch(rows, matching, stage, plan, pass));
      planning.catch(() => undefined); // awaited below, or by the next batch
      older = planned;
      planned = planning;
    };
    const stage = await this.staging.openKeyStage(runId);
    try {
      for await (const row of rows) {
        pass.rows++;
        const checked = validateRosterRow(row);
        errorCount += checked.errors.length;
        if (errors.length < ROSTER_ERRORS_SHOWN) errors.push(...checked.errors);
        if (!checked.staged || errorCount > 0) continue; // keep reading to name every bad row, stop planning
        if (pass.firstLine === 0) pass.firstLine = checked.staged.line;
        batch.push(checked.staged);
        if (batch.length >= ROW_BATCH) {
          await older;
          start(batch);
          batch = [];
        }
      }
      await planned;
      if (errorCount > 0) throw refused(errors, errorCount);
      if (batch.length > 0) start(batch);
      await planned;
      await stage.end();
      return pass;
    } catch (error) {
      stage.abort();
      await planned.catch(() => undefined);
      throw error;
    }
  }

  /** One batch, after the previous one: groups it names first resolved, each row diffed, its keys staged. */
  private async planBatch(batch: ValidRosterRow[], matching: Promise<Map<number, RosterMirrorRow>>, stage: RosterKeyStage, plan: PlanContext, pass: RowPass): Promise<void> {
    const [matches] = await Promise.all([matching, plan.catalog.resolve(batch)]);
    const keys: StagedRosterRow[] = [];
    for (const row of batch) {
      const mirror = matches.get(row.line) ?? null;
      let unchanged = false;
      if (mirror && isExcludedFromRoster(mirror, plan.exclude)) {
        pass.excluded++;
      } else {
        const changes = planRosterUser({ line: row.line, user: row.user, groups: row.groups }, mirror, { groups: plan.catalog.refs });
        unchanged = changes.length === 0;
        if (unchanged) pass.unchanged++;
        for (const change of changes) plan.sink.add(change);
      }
      keys.push({ line: row.line, emailLower: row.emailLower, employeeNumber: row.employeeNumber, groups: row.groups, matchedSeq: mirror?.seq ?? null, unchanged });
    }
    await Promise.all([stage.write(keys), plan.sink.flush(ITEM_BATCH)]);
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
  private async refuseGroups(runId: string, accountId: string): Promise<never> {
    const named = await this.staging.namedGroups(runId);
    const found = await this.staging.groupsByName(accountId, named.map((g) => g.name));
    const errors: RosterRowError[] = [];
    for (const { name, line } of named) {
      const group = found.get(name);
      const id = group?.remoteId ?? group?.scimId;
      if (!group || !id) errors.push({ line, field: 'groups', reason: `no group named ${JSON.stringify(name)} in this KnowBe4 account; create it first (POST /unified/user-directory/groups)` });
      else if (group.type === 'smart_group') errors.push({ line, field: 'groups', reason: `${JSON.stringify(group.name)} is a smart group; KnowBe4 SCIM writes console groups only` });
    }
    if (errors.length > 0) throw refused(errors, errors.length);
    throw new ApiError(409, "the account's groups changed while the roster was planned; nothing was changed, send it again");
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

  /**
   * Rows planned before a group they leave out was first named (later in the upload) are revisited for that group
   * alone; returns how many of them had been counted unchanged.
   */
  private async planLateRemovals(runId: string, firstLine: number, plan: PlanContext): Promise<number> {
    const late = plan.catalog.namedAfter(firstLine);
    if (late.length === 0) return 0;
    const before = Math.max(...late.map((group) => group.since));
    let nowChanged = 0;
    for (let after = 0; ; ) {
      const page = await this.staging.matchedMembersPage(runId, late.map((group) => group.name), after, before, PLAN_PAGE);
      for (const row of page) {
        if (isExcludedFromRoster(row.mirror, plan.exclude)) continue;
        const groups = new Map(late.filter((group) => group.since > row.line).map((group) => [group.name, group.ref]));
        const changes = planRosterLateRemovals(row, row.emailLower, row.mirror, groups);
        if (changes.length > 0 && row.unchanged) nowChanged++;
        for (const change of changes) plan.sink.add(change);
      }
      await plan.sink.flush(ITEM_BATCH);
      if (page.length < PLAN_PAGE) return nowChanged;
      after = page[page.length - 1].line;
    }
  }

  /** Active mirror users no row matched are archived, unless excluded; returns how many were excluded. */
  private async planArchives(runId: string, accountId: string, sink: PlanSink, exclude: RosterExclusions): Promise<number> {
    let excluded = 0;
    for (let after = '0'; ; ) {
      const page = await this.staging.unmatchedActivePage(runId, accountId, after, PLAN_PAGE);
      for (const user of page) {
        if (isExcludedFromRoster(user, exclude)) excluded++;
        else sink.add(planRosterArchive(user));
      }
      await sink.flush(ITEM_BATCH);
      if (page.length < PLAN_PAGE) return excluded;
      after = page[page.length - 1].seq;
    }
  }

  private summary(runId: string, activeUsers: number, pass: RowPass, sink: PlanSink): RosterPlan {
    return {
      roster_run_id: runId,
      rows: pass.rows,
      counts: sink.counts,
      unchanged: pass.unchanged,
      excluded: pass.excluded,
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
