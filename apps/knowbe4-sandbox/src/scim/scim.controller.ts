import { Catch, Controller, Delete, Get, Patch, Post, Put, Req, Res, UseFilters, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { parse as parseFilter, type Filter } from 'scim2-parse-filter';
import { contextOf } from '../http/request-context';
import type { GroupRecord, UserRecord } from '../store/records';
import { UniquenessError, type TenantStore } from '../store/tenant-store';
import { checkResource, scimBoolean } from './scim-attribute-types';
import { ScimError, SCIM_CONTENT_TYPE, sendScimError } from './scim-errors';
import { patchedResource, patchLibraryError, patchOperations } from './scim-patch-ops';
import { excludesMembers, projectionOf } from './scim-projection';
import { LIST_RESPONSE, MAX_RESULTS, RESOURCE_TYPES, SCHEMAS, SERVICE_PROVIDER_CONFIG } from './scim-schemas';
import { fromScimUser, keepConsoleOnlyFields, memberIdsOf, toScimGroup, toScimUser } from './scim-user-mapper';

type Json = Record<string, unknown>;
/** Query values arrive as strings (or arrays of them); anything else counts as absent. */
const queryText = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

@Catch()
export class ScimExceptionFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (error instanceof ScimError) return sendScimError(res, error.status, error.detail, error.scimType);
    if (error instanceof UniquenessError) return sendScimError(res, 409, error.message, 'uniqueness');
    const patchError = patchLibraryError(error);
    if (patchError) return sendScimError(res, patchError.status, patchError.detail, patchError.scimType);
    sendScimError(res, 500, 'Internal server error');
  }
}

const sendScim = (res: Response, status: number, body: unknown): void =>
  void res.status(status).type(SCIM_CONTENT_TYPE).send(JSON.stringify(body));
const baseOf = (req: Request): string => `${req.protocol}://${req.get('host') ?? 'localhost'}/scim/v2`;
const asObject = (body: unknown): Json => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ScimError(400, 'Request body must be a JSON object', 'invalidSyntax');
  return body as Json;
};

/** RFC 7644 §3.4.2.4 paging: startIndex is 1-based (below 1 means 1), count defaults to 100, negative means 0, capped at maxResults. */
function listWindow(query: Json): { start: number; count: number } {
  const start = Math.max(1, Number.parseInt(queryText(query.startIndex) ?? '1', 10) || 1);
  const rawCount = Number.parseInt(queryText(query.count) ?? '100', 10);
  return { start, count: Math.min(MAX_RESULTS, Math.max(0, Number.isNaN(rawCount) ? 100 : rawCount)) };
}

const listResponse = (matching: number, start: number, resources: unknown[]) => ({
  schemas: [LIST_RESPONSE],
  totalResults: matching,
  startIndex: start,
  itemsPerPage: resources.length,
  Resources: resources,
});

/** Only `attr eq "value"` on one attribute is filterable at KnowBe4; everything else is invalidFilter. */
function equalityFilter(raw: unknown, attribute: string): string | undefined {
  if (raw === undefined) return undefined;
  const text = queryText(raw);
  if (text === undefined) throw new ScimError(400, 'filter must be given once', 'invalidFilter');
  let filter: Filter;
  try {
    filter = parseFilter(text);
  } catch {
    throw new ScimError(400, `Invalid filter: ${text}`, 'invalidFilter');
  }
  if (filter.op !== 'eq' || !('attrPath' in filter) || filter.attrPath.toLowerCase() !== attribute.toLowerCase() || typeof filter.compValue !== 'string')
    throw new ScimError(400, `Only '${attribute} eq "value"' filters are supported`, 'invalidFilter');
  // scim2-parse-filter unescapes \" but leaves \\ doubled; RFC 7644 values are JSON strings, so finish the job
  return filter.compValue.replace(/\\\\/g, '\\');
}

/** SCIM 2.0 as KnowBe4 implements it; the tenant is whichever one issued the bearer token. */
@Controller('scim/v2')
@UseFilters(ScimExceptionFilter)
export class ScimController {
  @Get('ServiceProviderConfig')
  serviceProviderConfig(@Res() res: Response): void {
    sendScim(res, 200, SERVICE_PROVIDER_CONFIG);
  }

  @Get('Schemas')
  schemas(@Res() res: Response): void {
    sendScim(res, 200, listResponse(SCHEMAS.length, 1, SCHEMAS));
  }

  @Get('Schemas/:id')
  schema(@Req() req: Request, @Res() res: Response): void {
    const found = SCHEMAS.find((s) => s.id === req.params.id);
    if (!found) throw new ScimError(404, `Schema ${String(req.params.id)} not found`);
    sendScim(res, 200, found);
  }

  @Get('ResourceTypes')
  resourceTypes(@Res() res: Response): void {
    sendScim(res, 200, listResponse(RESOURCE_TYPES.length, 1, RESOURCE_TYPES));
  }

  @Get('ResourceTypes/:id')
  resourceType(@Req() req: Request, @Res() res: Response): void {
    const found = RESOURCE_TYPES.find((s) => s.id === req.params.id);
    if (!found) throw new ScimError(404, `ResourceType ${String(req.params.id)} not found`);
    sendScim(res, 200, found);
  }

  // ---------- Users ----------

  @Get('Users')
  listUsers(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const query = req.query as Json;
    const userName = equalityFilter(query.filter, 'userName');
    const matching: readonly UserRecord[] = userName === undefined ? t.users : [t.findUserByEmail(userName)].flatMap((u) => u ?? []);
    const { start, count } = listWindow(query);
    const page = matching.slice(start - 1, start - 1 + count);
    const base = baseOf(req);
    const project = projectionOf('User', query);
    sendScim(res, 200, listResponse(matching.length, start, page.map((u) => project(toScimUser(u, t, base)))));
  }

  @Post('Users')
  createUser(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const input = fromScimUser(asObject(req.body), t);
    const user = t.createUser(input.fields, {
      managed: true,
      guid: input.externalId,
      externalId: input.externalId,
      status: input.active === false ? 'archived' : 'active',
    });
    const base = baseOf(req);
    res.setHeader('Location', `${base}/Users/${user.scimId}`);
    sendScim(res, 201, projectionOf('User', req.query)(toScimUser(user, t, base)));
  }

  @Get('Users/:id')
  getUser(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    sendScim(res, 200, projectionOf('User', req.query)(toScimUser(userOr404(t, req), t, baseOf(req))));
  }

  @Put('Users/:id')
  replaceUser(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const user = userOr404(t, req);
    applyUserInput(t, user, fromScimUser(asObject(req.body), t));
    sendScim(res, 200, projectionOf('User', req.query)(toScimUser(user, t, baseOf(req))));
  }

  @Patch('Users/:id')
  patchUser(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const user = userOr404(t, req);
    const base = baseOf(req);
    const next = patchedResource('User', toScimUser(user, t, base), patchOperations('User', req.body));
    // A patched resource is a full resource, so the PUT path applies it; untouched attributes stay as they were.
    applyUserInput(t, user, fromScimUser({ ...next, active: scimBoolean(next.active) ?? next.active }, t));
    sendScim(res, 200, projectionOf('User', req.query)(toScimUser(user, t, base)));
  }

  @Delete('Users/:id')
  deleteUser(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    // KnowBe4 archives on SCIM DELETE; history is kept.
    t.setUserStatus(userOr404(t, req), 'archived');
    res.status(204).end();
  }

  // ---------- Groups ----------

  @Get('Groups')
  listGroups(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const query = req.query as Json;
    const displayName = equalityFilter(query.filter, 'displayName');
    const matching = displayName === undefined ? t.groups : t.groups.filter((g) => g.name.toLowerCase() === displayName.toLowerCase());
    const { start, count } = listWindow(query);
    const page = matching.slice(start - 1, start - 1 + count);
    const withMembers = !excludesMembers(query);
    const base = baseOf(req);
    const project = projectionOf('Group', query);
    sendScim(res, 200, listResponse(matching.length, start, page.map((g) => project(toScimGroup(g, t, base, withMembers)))));
  }

  @Post('Groups')
  createGroup(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const body = asObject(req.body);
    checkResource('Group', body, { requireRequired: true });
    const name = String(body.displayName);
    const memberIds = memberIdsOf(body, t);
    if (t.groups.some((g) => g.name.toLowerCase() === name.toLowerCase())) throw new ScimError(409, `Group ${name} already exists`, 'uniqueness');
    const externalId = typeof body.externalId === 'string' ? body.externalId : null;
    const group = t.createGroup({ name, externalId, provisioned: true });
    setMembers(t, group, memberIds);
    const base = baseOf(req);
    res.setHeader('Location', `${base}/Groups/${group.scimId}`);
    sendScim(res, 201, projectionOf('Group', req.query)(toScimGroup(group, t, base)));
  }

  @Get('Groups/:id')
  getGroup(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const query = req.query as Json;
    sendScim(res, 200, projectionOf('Group', query)(toScimGroup(groupOr404(t, req), t, baseOf(req), !excludesMembers(query))));
  }

  @Put('Groups/:id')
  replaceGroup(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const group = groupOr404(t, req);
    const body = asObject(req.body);
    checkResource('Group', body, { requireRequired: true });
    applyGroup(t, group, body);
    sendScim(res, 200, projectionOf('Group', req.query)(toScimGroup(group, t, baseOf(req))));
  }

  @Patch('Groups/:id')
  patchGroup(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const group = groupOr404(t, req);
    const base = baseOf(req);
    const query = req.query as Json;
    const next = patchedResource('Group', toScimGroup(group, t, base), patchOperations('Group', req.body));
    applyGroup(t, group, next);
    // RFC 7644 §3.5.2: 204 unless the client asked for attributes, then 200 with the resource.
    if (query.attributes === undefined && query.excludedAttributes === undefined) return void res.status(204).end();
    sendScim(res, 200, projectionOf('Group', query)(toScimGroup(group, t, base)));
  }

  @Delete('Groups/:id')
  deleteGroup(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    t.deleteGroup(groupOr404(t, req));
    res.status(204).end();
  }
}

function userOr404(t: TenantStore, req: Request): UserRecord {
  const user = t.usersByScimId.get(String(req.params.id));
  if (!user) throw new ScimError(404, `User ${String(req.params.id)} not found`);
  return user;
}

function groupOr404(t: TenantStore, req: Request): GroupRecord {
  const group = t.groupsByScimId.get(String(req.params.id));
  if (!group) throw new ScimError(404, `Group ${String(req.params.id)} not found`);
  return group;
}

function applyUserInput(t: TenantStore, user: UserRecord, input: ReturnType<typeof fromScimUser>): void {
  t.updateUser(user, keepConsoleOnlyFields(user, input.fields));
  user.externalId = input.externalId;
  user.provisioning_managed = true;
  user.provisioning_guid = input.externalId ?? user.provisioning_guid ?? t.runtimeRng.uuid();
  if (input.active !== undefined) t.setUserStatus(user, input.active ? 'active' : 'archived');
}

/** Applies a full Group (PUT body or PATCH result): members are validated before anything changes. */
function applyGroup(t: TenantStore, group: GroupRecord, body: Json): void {
  const memberIds = memberIdsOf(body, t);
  const name = typeof body.displayName === 'string' && body.displayName !== '' ? body.displayName : group.name;
  if (t.groups.some((g) => g !== group && g.name.toLowerCase() === name.toLowerCase())) throw new ScimError(409, `Group ${name} already exists`, 'uniqueness');
  group.name = name;
  // absent means removed (PATCH remove) or left out of a full replace (PUT)
  group.externalId = typeof body.externalId === 'string' && body.externalId !== '' ? body.externalId : null;
  group.provisioning_guid = group.externalId ?? group.provisioning_guid;
  setMembers(t, group, memberIds);
  t.touchGroup(group);
}

function setMembers(t: TenantStore, group: GroupRecord, wanted: number[]): void {
  const target = new Set(wanted);
  for (const id of [...group.memberIds]) {
    const user = t.usersById.get(id);
    if (!target.has(id) && user) t.removeMember(group, user);
  }
  for (const id of target) {
    const user = t.usersById.get(id);
    if (user) t.addMember(group, user);
  }
}
