import { Body, Controller, Delete, Get, HttpCode, HttpException, Inject, Param, Patch, Post, Put } from '@nestjs/common';
import { parseFaultConfig } from '../faults/fault-injector';
import { isResponseTimeProfile, RESPONSE_TIME_PROFILES } from '../http/response-time';
import { isRegion, type GroupRecord, type UserRecord } from '../store/records';
import type { CreateTenantOptions, TenantCredentials } from '../store/sandbox-store';
import { UniquenessError, type RateLimitProfile, type TenantStore } from '../store/tenant-store';
import { userJson, groupView } from '../reporting/reporting-views';
import { toKb4Json } from '../reporting/kb4-json';
import { applyConsoleMutations, consoleUserFields, ConsoleEditError, type ConsoleChange } from './console-edits';
import { SANDBOX_DEPS, type SandboxDeps } from './sandbox-deps';

type Json = Record<string, unknown>;
const PROFILES: readonly RateLimitProfile[] = ['documented', 'seed', 'off'];

const bad = (message: string): HttpException => new HttpException({ statusCode: 400, error: 'Bad Request', message }, 400);
const missing = (what: string): HttpException => new HttpException({ statusCode: 404, error: 'Not Found', message: `${what} not found` }, 404);
const asBody = (body: unknown): Json => (typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Json) : {});
/** Reporting JSON (with its float and date quirks) as a plain value for Nest to send. */
const reportingValue = (json: string): unknown => JSON.parse(json);

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof ConsoleEditError || error instanceof RangeError) throw bad(error.message);
    if (error instanceof UniquenessError) throw new HttpException({ statusCode: 409, error: 'Conflict', message: error.message }, 409);
    throw error;
  }
}

function tenantOptions(body: Json): CreateTenantOptions {
  const num = (name: string): number | undefined => {
    const v = body[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(`${name} must be a non-negative number`);
    return v;
  };
  const str = (name: string): string | undefined => {
    const v = body[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') throw bad(`${name} must be a non-empty string`);
    return v;
  };
  const region = body.region;
  if (region !== undefined && !isRegion(region)) throw bad('region must be one of us, eu, ca, uk, de');
  const profile = body.rate_limit_profile;
  if (profile !== undefined && !PROFILES.includes(profile as RateLimitProfile)) throw bad('rate_limit_profile must be documented, seed or off');
  const users = num('users');
  if (users !== undefined && users > 1_000_000) throw bad('users must be at most 1000000');
  return {
    seed: num('seed'),
    users,
    groups: num('groups'),
    region,
    rate_limit_profile: profile as RateLimitProfile | undefined,
    reporting_api_key: str('reporting_api_key'),
    scim_token: str('scim_token'),
    trial: body.trial === true,
    dirty: body.dirty === true,
    group_risk_history_error_rate: num('group_risk_history_error_rate'),
    id: str('id'),
  };
}

/** Loopback-only control surface for tests, demos and benchmarks; not part of KnowBe4's API. */
@Controller('_sandbox')
export class AdminController {
  constructor(@Inject(SANDBOX_DEPS) private readonly deps: SandboxDeps) {}

  @Get('health')
  health(): Json {
    return { status: 'ok', tenants: this.deps.store.count, memory: { ...this.deps.store.fleetStats(), rss_bytes: process.memoryUsage().rss } };
  }

  @Post('tenants')
  createTenant(@Body() body: unknown): TenantCredentials {
    const tenant = guard(() => this.deps.store.createTenant(tenantOptions(asBody(body))));
    return this.deps.store.credentials(tenant);
  }

  @Get('tenants')
  listTenants(): TenantCredentials[] {
    return this.deps.store.listCredentials();
  }

  @Get('tenants/:id')
  getTenant(@Param('id') id: string): TenantCredentials {
    return this.deps.store.credentials(this.tenant(id));
  }

  @Delete('tenants/:id')
  @HttpCode(204)
  deleteTenant(@Param('id') id: string): void {
    const tenant = this.tenant(id);
    this.deps.store.deleteTenant(tenant);
    this.deps.limiter.reset(tenant.id);
  }

  /**
   * `{rotate?: ["reporting", "scim"], reporting_api_key?, scim_token?}`: regenerates the named credentials (both by
   * default) as the KnowBe4 console does; the old ones answer 401 from now on. Given values are used as the new ones.
   */
  @Post('tenants/:id/credentials/rotate')
  @HttpCode(200)
  rotateCredentials(@Param('id') id: string, @Body() body: unknown): TenantCredentials {
    const input = asBody(body);
    const rotate = input.rotate ?? ['reporting', 'scim'];
    if (!Array.isArray(rotate) || rotate.length === 0 || !rotate.every((surface) => surface === 'reporting' || surface === 'scim'))
      throw bad('rotate must be a non-empty list of "reporting" and "scim"');
    for (const name of ['reporting_api_key', 'scim_token'] as const)
      if (input[name] !== undefined && (typeof input[name] !== 'string' || input[name].length < 8)) throw bad(`${name} must be a string of at least 8 characters`);
    const chosen = (surface: string, value: unknown): boolean | string => (rotate.includes(surface) ? ((value as string | undefined) ?? true) : false);
    const tenant = guard(() =>
      this.deps.store.rotateCredentials(this.tenant(id), { reporting: chosen('reporting', input.reporting_api_key), scim: chosen('scim', input.scim_token) }),
    );
    return this.deps.store.credentials(tenant);
  }

  @Post('tenants/:id/reset')
  @HttpCode(200)
  resetTenant(@Param('id') id: string): TenantCredentials {
    return this.deps.store.credentials(this.deps.store.resetTenant(this.tenant(id)));
  }

  @Post('tenants/:id/users')
  createUser(@Param('id') id: string, @Body() body: unknown): unknown {
    const t = this.tenant(id);
    const user = guard(() => {
      const { fields, status } = consoleUserFields(asBody(body), true);
      return t.createUser({ ...fields, email: fields.email! }, { managed: false, status });
    });
    return reportingValue(userJson(user, t));
  }

  @Patch('tenants/:id/users/:userId')
  updateUser(@Param('id') id: string, @Param('userId') userId: string, @Body() body: unknown): unknown {
    const t = this.tenant(id);
    const user = this.user(t, userId);
    guard(() => {
      const { fields, status } = consoleUserFields(asBody(body), false);
      t.updateUser(user, fields);
      if (status) t.setUserStatus(user, status);
    });
    return reportingValue(userJson(user, t));
  }

  @Delete('tenants/:id/users/:userId')
  @HttpCode(204)
  deleteUser(@Param('id') id: string, @Param('userId') userId: string): void {
    const t = this.tenant(id);
    t.deleteUser(this.user(t, userId));
  }

  @Patch('tenants/:id/users/:userId/risk')
  updateRisk(@Param('id') id: string, @Param('userId') userId: string, @Body() body: unknown): unknown {
    const t = this.tenant(id);
    const user = this.user(t, userId);
    const b = asBody(body);
    const risk: { phish_prone_percentage?: number; current_risk_score?: number } = {};
    for (const name of ['phish_prone_percentage', 'current_risk_score'] as const) {
      const v = b[name];
      if (v === undefined) continue;
      if (typeof v !== 'number' || v < 0 || v > 100) throw bad(`${name} must be a number in 0..100`);
      risk[name] = v;
    }
    t.setUserRisk(user, risk);
    return reportingValue(userJson(user, t));
  }

  @Post('tenants/:id/groups')
  createGroup(@Param('id') id: string, @Body() body: unknown): unknown {
    const t = this.tenant(id);
    const b = asBody(body);
    if (typeof b.name !== 'string' || b.name === '') throw bad('name is required');
    const type = b.group_type ?? 'console_group';
    if (type !== 'console_group' && type !== 'smart_group') throw bad('group_type must be console_group or smart_group');
    return reportingValue(toKb4Json(groupView(t.createGroup({ name: b.name, group_type: type }))));
  }

  @Patch('tenants/:id/groups/:groupId')
  updateGroup(@Param('id') id: string, @Param('groupId') groupId: string, @Body() body: unknown): unknown {
    const t = this.tenant(id);
    const group = this.group(t, groupId);
    const b = asBody(body);
    if (b.name !== undefined) {
      if (typeof b.name !== 'string' || b.name === '') throw bad('name must be a non-empty string');
      group.name = b.name;
    }
    if (b.status !== undefined) {
      if (b.status !== 'active' && b.status !== 'archived') throw bad('status must be active or archived');
      group.status = b.status;
    }
    if (b.current_risk_score !== undefined) {
      if (typeof b.current_risk_score !== 'number') throw bad('current_risk_score must be a number');
      group.current_risk_score = b.current_risk_score;
    }
    t.touchGroup(group);
    return reportingValue(toKb4Json(groupView(group)));
  }

  @Delete('tenants/:id/groups/:groupId')
  @HttpCode(204)
  deleteGroup(@Param('id') id: string, @Param('groupId') groupId: string): void {
    const t = this.tenant(id);
    t.deleteGroup(this.group(t, groupId));
  }

  @Put('tenants/:id/groups/:groupId/members/:userId')
  @HttpCode(200)
  addMember(@Param('id') id: string, @Param('groupId') groupId: string, @Param('userId') userId: string): Json {
    const t = this.tenant(id);
    const added = t.addMember(this.group(t, groupId), this.user(t, userId));
    return { added };
  }

  @Delete('tenants/:id/groups/:groupId/members/:userId')
  @HttpCode(200)
  removeMember(@Param('id') id: string, @Param('groupId') groupId: string, @Param('userId') userId: string): Json {
    const t = this.tenant(id);
    const removed = t.removeMember(this.group(t, groupId), this.user(t, userId));
    return { removed };
  }

  @Post('tenants/:id/mutations')
  @HttpCode(200)
  mutate(@Param('id') id: string, @Body() body: unknown): { changes: ConsoleChange[] } {
    const b = asBody(body);
    const count = b.count ?? 10;
    const seed = b.seed ?? 1;
    if (typeof count !== 'number' || count < 0 || count > 100_000) throw bad('count must be a number in 0..100000');
    if (typeof seed !== 'number') throw bad('seed must be a number');
    return { changes: applyConsoleMutations(this.tenant(id), seed, count) };
  }

  @Put('tenants/:id/rate-limit')
  @HttpCode(200)
  setRateLimit(@Param('id') id: string, @Body() body: unknown): Json {
    const profile = asBody(body).profile;
    if (!PROFILES.includes(profile as RateLimitProfile)) throw bad('profile must be documented, seed or off');
    const t = this.tenant(id);
    t.options.rateLimitProfile = profile as RateLimitProfile;
    this.deps.limiter.reset(t.id);
    return { profile };
  }

  @Post('tenants/:id/rate-limit/reset')
  @HttpCode(200)
  resetRateLimit(@Param('id') id: string): Json {
    this.deps.limiter.reset(this.tenant(id).id);
    return { reset: true };
  }

  @Put('faults')
  @HttpCode(200)
  setFaults(@Body() body: unknown): unknown {
    const config = parseFaultConfig(body);
    if (typeof config === 'string') throw bad(config);
    this.deps.faults.set(config);
    return this.deps.faults.get();
  }

  /** `{"profile": "recorded"}` answers after KnowBe4's recorded server time; `off` at once. */
  @Put('response-time')
  @HttpCode(200)
  setResponseTime(@Body() body: unknown): Json {
    const profile = asBody(body).profile;
    if (!isResponseTimeProfile(profile)) throw bad(`profile must be one of ${RESPONSE_TIME_PROFILES.join(', ')}`);
    this.deps.responseTime.set(profile);
    return { profile };
  }

  @Get('response-time')
  getResponseTime(): Json {
    return { profile: this.deps.responseTime.profile };
  }

  @Get('faults')
  getFaults(): unknown {
    return this.deps.faults.get();
  }

  @Delete('faults')
  @HttpCode(204)
  clearFaults(): void {
    this.deps.faults.clear();
  }

  private tenant(id: string): TenantStore {
    const tenant = this.deps.store.get(id);
    if (!tenant) throw missing(`tenant ${id}`);
    return tenant;
  }

  private user(t: TenantStore, id: string): UserRecord {
    const user = /^\d+$/.test(id) ? t.usersById.get(Number(id)) : t.usersByScimId.get(id);
    if (!user) throw missing(`user ${id}`);
    return user;
  }

  private group(t: TenantStore, id: string): GroupRecord {
    const group = /^\d+$/.test(id) ? t.groupsById.get(Number(id)) : t.groupsByScimId.get(id);
    if (!group) throw missing(`group ${id}`);
    return group;
  }
}
