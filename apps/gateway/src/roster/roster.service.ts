import { Inject, Injectable } from '@nestjs/common';
import { RosterItemRow, RosterPlanRepository, RosterRunRepository, RosterRunRow } from '@kb4/persistence';
import { ApiError } from '@kb4/platform';
import type { Request } from 'express';
import { AccountScope } from '../accounts/account-scope';
import { GatewayConfig } from '../config/gateway.config';
import { RosterExecutor } from './roster-executor';
import { RosterPlan, RosterPlanner } from './roster-planner';
import { readRosterRows, rosterFormatOf } from './roster-upload';
import type { RosterExclusions, RosterItemsQuery, RosterQuery, RosterRunListQuery } from './roster.dto';

const ERRORS_SHOWN = 100;

export type RosterRunView = ReturnType<typeof rosterRunView>;

export function rosterRunView(row: RosterRunRow) {
  const progress = row.progress ?? {};
  const total = Object.values(progress).reduce((sum, n) => sum + n, 0);
  return {
    id: row.id,
    integrated_account_id: row.account_id,
    status: row.status,
    dry_run: row.dry_run,
    forced: row.forced,
    rows: row.row_count,
    plan: row.counts,
    counts: {
      planned: total,
      done: progress.succeeded ?? 0,
      failed: progress.failed ?? 0,
      in_progress: (progress.queued ?? 0) + (progress.running ?? 0),
      pending: progress.pending ?? 0,
    },
    refusal: row.refusal,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    finished_at: row.finished_at?.toISOString() ?? null,
  };
}

function itemView(item: RosterItemRow): Record<string, unknown> {
  return { item: item.item_no, ...item.change, operation_id: item.operation_id, status: item.status, error: item.error };
}

function encodeCursor(value: string): string {
  return Buffer.from(value).toString('base64url');
}

function decodeCursor(cursor: string): string {
  return Buffer.from(cursor, 'base64url').toString();
}

const UUID = /^[0-9a-f-]{36}$/i;

/** The roster API: upload (plan, dry run or run), the account's exclusions, and roster runs with their items. */
@Injectable()
export class RosterService {
  constructor(
    @Inject(AccountScope) private readonly scope: AccountScope,
    @Inject(RosterPlanner) private readonly planner: RosterPlanner,
    @Inject(RosterExecutor) private readonly executor: RosterExecutor,
    @Inject(RosterPlanRepository) private readonly staging: RosterPlanRepository,
    @Inject(RosterRunRepository) private readonly runs: RosterRunRepository,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  async upload(workspaceId: string, query: RosterQuery, request: Request): Promise<{ plan: RosterPlan } | { roster_run: RosterRunView }> {
    const format = rosterFormatOf(request.headers['content-type']);
    const accountId = (await this.scope.requireAccount(workspaceId, query.integrated_account_id)).id;
    const rows = readRosterRows(request, format, {
      maxBodyBytes: this.config.ROSTER_MAX_BODY_BYTES,
      maxRowBytes: this.config.ROSTER_MAX_ROW_BYTES,
      maxRows: this.config.ROSTER_MAX_ROWS,
    });
    const { plan, status } = await this.planner.plan({ workspaceId, accountId, dryRun: query.dry_run === 'true', force: query.force === 'true', rows });
    if (status === 'planned') return { plan };
    this.executor.nudge();
    return { roster_run: await this.getRun(workspaceId, plan.roster_run_id) };
  }

  async exclusions(workspaceId: string, accountId: string): Promise<{ exclude: Record<string, unknown> }> {
    const id = (await this.scope.requireAccount(workspaceId, accountId)).id;
    return { exclude: await this.staging.exclusions(id) };
  }

  async saveExclusions(workspaceId: string, accountId: string, exclude: RosterExclusions): Promise<{ exclude: Record<string, unknown> }> {
    const id = (await this.scope.requireAccount(workspaceId, accountId)).id;
    const stored = { emails: exclude.emails ?? [], email_domains: exclude.email_domains ?? [], groups: exclude.groups ?? [] };
    await this.staging.saveExclusions(id, stored);
    return { exclude: stored };
  }

  async getRun(workspaceId: string, id: string): Promise<RosterRunView> {
    const row = UUID.test(id) ? await this.runs.findInWorkspace(workspaceId, id) : undefined;
    if (!row) throw new ApiError(404, 'roster run not found');
    return rosterRunView(row);
  }

  async getRunDetail(workspaceId: string, id: string): Promise<RosterRunView & { errors: Array<Record<string, unknown>> }> {
    const run = await this.getRun(workspaceId, id);
    const failed = run.counts.failed > 0 ? await this.runs.itemsPage(id, 0, ERRORS_SHOWN, true) : [];
    return { ...run, errors: failed.map(itemView) };
  }

  async listRuns(workspaceId: string, query: RosterRunListQuery): Promise<{ result: RosterRunView[]; next_cursor: string | null; result_count: number }> {
    const limit = query.limit ?? 50;
    let before: { createdAt: Date; id: string } | undefined;
    if (query.next_cursor) {
      const [at, id] = decodeCursor(query.next_cursor).split('|');
      const createdAt = new Date(at);
      if (!UUID.test(id ?? '') || Number.isNaN(createdAt.getTime())) throw new ApiError(400, 'next_cursor is not a cursor of this API');
      before = { createdAt, id };
    }
    if (query.integrated_account_id) await this.scope.requireAccount(workspaceId, query.integrated_account_id);
    const rows = await this.runs.listInWorkspace(workspaceId, { accountId: query.integrated_account_id?.toLowerCase(), limit: limit + 1, before });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      result: page.map(rosterRunView),
      next_cursor: rows.length > limit ? encodeCursor(`${last.created_at.toISOString()}|${last.id}`) : null,
      result_count: page.length,
    };
  }

  async listItems(workspaceId: string, id: string, query: RosterItemsQuery): Promise<{ result: Array<Record<string, unknown>>; next_cursor: string | null; result_count: number }> {
    await this.getRun(workspaceId, id);
    const limit = query.limit ?? 100;
    const after = query.next_cursor ? Number(decodeCursor(query.next_cursor)) : 0;
    if (!Number.isSafeInteger(after) || after < 0) throw new ApiError(400, 'next_cursor is not a cursor of this API');
    const rows = await this.runs.itemsPage(id, after, limit + 1, query.status === 'failed');
    const page = rows.slice(0, limit);
    return {
      result: page.map(itemView),
      next_cursor: rows.length > limit ? encodeCursor(String(page[page.length - 1].item_no)) : null,
      result_count: page.length,
    };
  }
}
