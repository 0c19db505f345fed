import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { contextOf } from '../http/request-context';
import { sendReportingError } from '../http/kb4-gate';
import type { EnrollmentRecord } from '../store/records';
import type { TenantStore } from '../store/tenant-store';
import { toKb4Json } from './kb4-json';
import { cursorPageOf, pageOf, parseListRequest } from './pagination';
import {
  accountView,
  enrollmentView,
  groupView,
  phishingCampaignView,
  policyView,
  recipientView,
  riskHistory,
  riskHistoryView,
  securityTestView,
  storePurchaseView,
  trainingCampaignView,
  userJson,
  userListJson,
} from './reporting-views';

type Query = Record<string, unknown>;
const JSON_TYPE = 'application/json; charset=utf-8';
const send = (res: Response, body: string): void => void res.status(200).type(JSON_TYPE).send(body);
const sendValue = (res: Response, value: unknown): void => send(res, toKb4Json(value));
const notFound = (res: Response): void => sendReportingError(res, 404, 'Not Found');
const numericId = (raw: string): number | undefined => (/^\d+$/.test(raw) ? Number(raw) : undefined);
const flag = (query: Query, name: string): boolean => query[name] === 'true' || query[name] === '1';
const optionalNumber = (query: Query, name: string): number | undefined =>
  typeof query[name] === 'string' ? numericId(query[name]) ?? Number.NaN : undefined;

/**
 * A list in KnowBe4's page mode (a bare array) or cursor mode (`{data, _metadata: {next_cursor}}`); undefined for a
 * cursor the sandbox never handed out. Paginates before rendering, so only the requested page is ever serialized.
 * Lists are id-ordered.
 */
function listBody<T>(query: Query, items: readonly T[], idOf: (item: T) => number, renderPage: (slice: readonly T[]) => string): string | undefined {
  const request = parseListRequest(query);
  if (request.mode === 'invalid') return undefined;
  if (request.mode === 'page') return renderPage(pageOf(items, request.paging));
  const { slice, nextCursor } = cursorPageOf(items, idOf, request.afterId, request.perPage);
  return `{"data":${renderPage(slice)},"_metadata":{"next_cursor":${JSON.stringify(nextCursor)}}}`;
}

function sendList<T>(res: Response, query: Query, items: readonly T[], idOf: (item: T) => number, renderPage: (slice: readonly T[]) => string): void {
  const body = listBody(query, items, idOf, renderPage);
  if (body === undefined) return sendReportingError(res, 400, 'Invalid cursor');
  send(res, body);
}

/**
 * A directory list of a fleet tenant: from the fleet's page cache while the tenant is as it was when the page was
 * rendered (no seeding for an unchanged tenant out of memory), rendered and kept otherwise. Same bytes either way.
 */
function sendDirectoryList(req: Request, res: Response, render: (tenant: TenantStore) => string | undefined): void {
  const { ref, pageCache } = contextOf(req);
  const stamp = pageCache && ref?.stamp();
  const cached = stamp !== undefined && ref ? pageCache?.get(ref.id, req.originalUrl, stamp) : undefined;
  if (cached !== undefined) return send(res, cached);
  const body = render(contextOf(req).tenant);
  if (body === undefined) return sendReportingError(res, 400, 'Invalid cursor');
  // stamped after rendering: seeding the tenant is what gives it its version
  const rendered = pageCache && ref?.stamp();
  if (rendered !== undefined && ref) pageCache?.set(ref.id, req.originalUrl, rendered, body);
  send(res, body);
}

const renderEach =
  <T>(render: (item: T) => unknown) =>
  (slice: readonly T[]): string =>
    toKb4Json(slice.map(render));

/** KnowBe4 Reporting API v1, read-only, served for whichever region the gate resolved. */
@Controller('v1')
export class ReportingController {
  @Get('account')
  account(@Req() req: Request, @Res() res: Response): void {
    sendValue(res, accountView(contextOf(req).tenant));
  }

  @Get('account/risk_score_history')
  accountRiskHistory(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    sendValue(res, riskHistoryView(riskHistory('account', t.options.seed, t.account.current_risk_score, 'date', flag(req.query, 'full'))));
  }

  @Get('users')
  users(@Req() req: Request, @Res() res: Response): void {
    const q = req.query as Query;
    const status = q.status === 'active' || q.status === 'archived' ? q.status : undefined;
    const groupId = optionalNumber(q, 'group_id');
    sendDirectoryList(req, res, (t) => listBody(q, t.usersMatching(status, groupId), (u) => u.id, (slice) => userListJson(slice, t, q.expand === 'group')));
  }

  @Get('users/:id')
  user(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const user = t.usersById.get(numericId(String(req.params.id)) ?? -1);
    if (!user) return notFound(res);
    send(res, userJson(user, t, (req.query as Query).expand === 'group'));
  }

  @Get('users/:id/risk_score_history')
  userRiskHistory(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const user = t.usersById.get(numericId(String(req.params.id)) ?? -1);
    if (!user) return notFound(res);
    sendValue(res, riskHistoryView(riskHistory(`user:${user.id}`, t.options.seed, user.current_risk_score, 'midnight', flag(req.query, 'full'))));
  }

  @Get('groups')
  groups(@Req() req: Request, @Res() res: Response): void {
    const q = req.query as Query;
    const status = q.status === 'active' || q.status === 'archived' ? q.status : undefined;
    sendDirectoryList(req, res, (t) => listBody(q, status ? t.groups.filter((g) => g.status === status) : t.groups, (g) => g.id, renderEach(groupView)));
  }

  @Get('groups/:id')
  group(@Req() req: Request, @Res() res: Response): void {
    const group = contextOf(req).tenant.groupsById.get(numericId(String(req.params.id)) ?? -1);
    if (!group) return notFound(res);
    sendValue(res, groupView(group));
  }

  @Get('groups/:id/members')
  groupMembers(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const group = t.groupsById.get(numericId(String(req.params.id)) ?? -1);
    if (!group) return notFound(res);
    sendList(res, req.query as Query, t.groupMembers(group), (id) => id, (ids) =>
      userListJson(ids.flatMap((id) => t.usersById.get(id) ?? []), t, false),
    );
  }

  @Get('groups/:id/risk_score_history')
  groupRiskHistory(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const group = t.groupsById.get(numericId(String(req.params.id)) ?? -1);
    if (!group) return notFound(res);
    // KnowBe4 answers this endpoint with 500 now and then; tenants can opt into that.
    if (t.options.groupRiskHistoryErrorRate > 0 && t.runtimeRng.next() < t.options.groupRiskHistoryErrorRate)
      return sendReportingError(res, 500, 'Internal Server Error');
    sendValue(res, riskHistoryView(riskHistory(`group:${group.id}`, t.options.seed, group.current_risk_score, 'date', flag(req.query, 'full'))));
  }

  @Get('phishing/campaigns')
  phishingCampaigns(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    sendList(res, req.query as Query, t.phishingCampaigns, (c) => c.campaign_id, renderEach((c) => phishingCampaignView(c, t)));
  }

  @Get('phishing/campaigns/:id')
  phishingCampaign(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const campaign = t.phishingCampaigns.find((c) => c.campaign_id === numericId(String(req.params.id)));
    if (!campaign) return notFound(res);
    sendValue(res, phishingCampaignView(campaign, t));
  }

  @Get('phishing/campaigns/:id/security_tests')
  campaignSecurityTests(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const id = numericId(String(req.params.id));
    if (!t.phishingCampaigns.some((c) => c.campaign_id === id)) return notFound(res);
    const tests = t.securityTests.filter((s) => s.campaign_id === id);
    sendList(res, req.query as Query, tests, (s) => s.pst_id, renderEach((s) => securityTestView(s, t)));
  }

  @Get('phishing/security_tests')
  securityTests(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    sendList(res, req.query as Query, t.securityTests, (s) => s.pst_id, renderEach((s) => securityTestView(s, t)));
  }

  @Get('phishing/security_tests/:id')
  securityTest(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const test = t.securityTests.find((s) => s.pst_id === numericId(String(req.params.id)));
    if (!test) return notFound(res);
    sendValue(res, securityTestView(test, t));
  }

  @Get('phishing/security_tests/:id/recipients')
  recipients(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const test = t.securityTests.find((s) => s.pst_id === numericId(String(req.params.id)));
    if (!test) return notFound(res);
    sendList(res, req.query as Query, test.recipients, (r) => r.recipient_id, renderEach((r) => recipientView(r, test, t)));
  }

  @Get('phishing/security_tests/:id/recipients/:recipientId')
  recipient(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const test = t.securityTests.find((s) => s.pst_id === numericId(String(req.params.id)));
    const wanted = numericId(String(req.params.recipientId));
    // Documented as the user id; older clients pass the recipient id, so accept both.
    const r = test?.recipients.find((x) => x.userId === wanted) ?? test?.recipients.find((x) => x.recipient_id === wanted);
    if (!test || !r) return notFound(res);
    sendValue(res, recipientView(r, test, t));
  }

  @Get('training/store_purchases')
  storePurchases(@Req() req: Request, @Res() res: Response): void {
    sendList(res, req.query as Query, contextOf(req).tenant.storePurchases, (p) => p.store_purchase_id, renderEach(storePurchaseView));
  }

  @Get('training/store_purchases/:id')
  storePurchase(@Req() req: Request, @Res() res: Response): void {
    const p = contextOf(req).tenant.storePurchases.find((x) => x.store_purchase_id === numericId(String(req.params.id)));
    if (!p) return notFound(res);
    sendValue(res, storePurchaseView(p));
  }

  @Get('training/policies')
  policies(@Req() req: Request, @Res() res: Response): void {
    sendList(res, req.query as Query, contextOf(req).tenant.policies, (p) => p.policy_id, renderEach(policyView));
  }

  @Get('training/policies/:id')
  policy(@Req() req: Request, @Res() res: Response): void {
    const p = contextOf(req).tenant.policies.find((x) => x.policy_id === numericId(String(req.params.id)));
    if (!p) return notFound(res);
    sendValue(res, policyView(p));
  }

  @Get('training/campaigns')
  trainingCampaigns(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const q = req.query as Query;
    const withPercentages = !flag(q, 'exclude_percentages');
    // Computing completion percentages is costly on KnowBe4's side: it caps those lists at 10.
    const campaigns = withPercentages ? t.trainingCampaigns.slice(0, 10) : t.trainingCampaigns;
    sendList(res, q, campaigns, (c) => c.campaign_id, renderEach((c) => trainingCampaignView(c, t, withPercentages)));
  }

  @Get('training/campaigns/:id')
  trainingCampaign(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const c = t.trainingCampaigns.find((x) => x.campaign_id === numericId(String(req.params.id)));
    if (!c) return notFound(res);
    sendValue(res, trainingCampaignView(c, t, !flag(req.query, 'exclude_percentages')));
  }

  @Get('training/enrollments')
  enrollments(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const q = req.query as Query;
    const opts = enrollmentOptions(q);
    const render = (e: EnrollmentRecord) => enrollmentView(e, t, opts);
    sendList(res, q, filterEnrollments(t, q), (e) => e.enrollment_id, renderEach(render));
  }

  @Get('training/enrollments/:id')
  enrollment(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const e = t.enrollments.find((x) => x.enrollment_id === numericId(String(req.params.id)));
    if (!e) return notFound(res);
    const q = req.query as Query;
    sendValue(res, enrollmentView(e, t, enrollmentOptions(q)));
  }
}

const enrollmentOptions = (q: Query) => ({
  includeCampaignId: flag(q, 'include_campaign_id'),
  includeStorePurchaseId: flag(q, 'include_store_purchase_id'),
  includeEmployeeNumber: flag(q, 'include_employee_number'),
});

function filterEnrollments(t: TenantStore, q: Query): readonly EnrollmentRecord[] {
  const purchase = optionalNumber(q, 'store_purchase_id');
  const campaign = optionalNumber(q, 'campaign_id');
  const user = optionalNumber(q, 'user_id');
  const excludeArchived = flag(q, 'exclude_archived_users');
  if (purchase === undefined && campaign === undefined && user === undefined && !excludeArchived) return t.enrollments;
  return t.enrollments.filter(
    (e) =>
      (purchase === undefined || e.storePurchaseId === purchase) &&
      (campaign === undefined || e.campaignId === campaign) &&
      (user === undefined || e.userId === user) &&
      (!excludeArchived || t.usersById.get(e.userId)?.status !== 'archived'),
  );
}
