import { Catch, Controller, Delete, Get, Patch, Post, Put, Req, Res, UseFilters, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { parse as parseFilter, type Filter } from 'scim2-parse-filter';
import { scimPatch, ScimError as PatchError, type ScimPatchOperation, type ScimResource } from 'scim-patch';
import { contextOf } from '../http/request-context';
import type { GroupRecord, UserRecord } from '../store/records';
import { UniquenessError, type TenantStore } from '../store/tenant-store';
import { ScimError, SCIM_CONTENT_TYPE, sendScimError } from './scim-errors';
import { LIST_RESPONSE, PATCH_OP, RESOURCE_TYPES, SCHEMAS, SERVICE_PROVIDER_CONFIG } from './scim-schemas';
import { fromScimUser, keepConsoleOnlyFields, memberIdsOf, scimBoolean, toScimGroup, toScimUser } from './scim-user-mapper';

type Json = Record<string, unknown>;
/** Query values arrive as strings (or arrays of them); anything else counts as absent. */
const queryText = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

@Catch()
export class ScimExceptionFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (error instanceof ScimError) return sendScimError(res, error.status, error.detail, error.scimType);
    if (error instanceof UniquenessError) return sendScimError(res, 409, error.message, 'uniqueness');
    if (error instanceof PatchError) return sendScimError(res, 400, error.message, error.scimCode === 'noTarget' ? 'noTarget' : 'invalidValue');
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

/** RFC 7644 paging: startIndex is 1-based, count defaults to 100 and is capped at 1000. */
function listWindow(query: Json): { start: number; count: number } {
  const start = Math.max(1, Number.parseInt(queryText(query.startIndex) ?? '1', 10) || 1);
  const rawCount = Number.parseInt(queryText(query.count) ?? '100', 10);
  return { start, count: Math.min(1000, Math.max(0, Number.isNaN(rawCount) ? 100 : rawCount)) };
}

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

function patchOperations(body: unknown): ScimPatchOperation[] {
  const b = asObject(body);
  if (!Array.isArray(b.schemas) || !b.schemas.includes(PATCH_OP) || !Array.isArray(b.Operations))
    throw new ScimError(400, 'PATCH body must be a PatchOp message with Operations', 'invalidSyntax');
  return b.Operations.map((op: unknown) => {
    const o = asObject(op);
    const kind = (typeof o.op === 'string' ? o.op : '').toLowerCase();
    if (kind !== 'add' && kind !== 'replace' && kind !== 'remove') throw new ScimError(400, `Unsupported op ${JSON.stringify(o.op)}`, 'invalidSyntax');
    if (kind === 'remove' && typeof o.path !== 'string') throw new ScimError(400, 'remove requires a path', 'noTarget');
    return { ...o, op: kind } as ScimPatchOperation;
  });
}

const patched = (resource: Json, ops: ScimPatchOperation[]): Json =>
  scimPatch(structuredClone(resource) as unknown as ScimResource, ops, { mutateDocument: true, treatMissingAsAdd: true }) as unknown as Json;

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
    sendScim(res, 200, { schemas: [LIST_RESPONSE], totalResults: SCHEMAS.length, startIndex: 1, itemsPerPage: SCHEMAS.length, Resources: SCHEMAS });
  }

  @Get('Schemas/:id')
  schema(@Req() req: Request, @Res() res: Response): void {
    const found = SCHEMAS.find((s) => s.id === req.params.id);
    if (!found) throw new ScimError(404, `Schema ${String(req.params.id)} not found`);
    sendScim(res, 200, found);
  }

  @Get('ResourceTypes')
  resourceTypes(@Res() res: Response): void {
    sendScim(res, 200, { schemas: [LIST_RESPONSE], totalResults: RESOURCE_TYPES.length, startIndex: 1, itemsPerPage: RESOURCE_TYPES.length, Resources: RESOURCE_TYPES });
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
    sendScim(res, 200, { schemas: [LIST_RESPONSE], totalResults: matching.length, startIndex: start, itemsPerPage: page.length, Resources: page.map((u) => toScimUser(u, t, base)) });
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
    sendScim(res, 201, toScimUser(user, t, base));
  }

  @Get('Users/:id')
  getUser(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    sendScim(res, 200, toScimUser(userOr404(t, req), t, baseOf(req)));
  }

  @Put('Users/:id')
  replaceUser(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const user = userOr404(t, req);
    applyUserInput(t, user, fromScimUser(asObject(req.body), t));
    sendScim(res, 200, toScimUser(user, t, baseOf(req)));
  }

  @Patch('Users/:id')
  patchUser(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const user = userOr404(t, req);
    const base = baseOf(req);
    const next = patched(toScimUser(user, t, base), patchOperations(req.body));
    // A patched resource is a full resource, so the PUT path applies it; untouched attributes stay as they were.
    applyUserInput(t, user, fromScimUser({ ...next, active: scimBoolean(next.active) ?? next.active }, t));
    sendScim(res, 200, toScimUser(user, t, base));
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
    const withMembers = !(queryText(query.excludedAttributes) ?? '').split(',').includes('members');
    const base = baseOf(req);
    sendScim(res, 200, { schemas: [LIST_RESPONSE], totalResults: matching.length, startIndex: start, itemsPerPage: page.length, Resources: page.map((g) => toScimGroup(g, t, base, withMembers)) });
  }

  @Post('Groups')
  createGroup(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const body = asObject(req.body);
    if (typeof body.displayName !== 'string' || body.displayName === '') throw new ScimError(400, 'displayName is required', 'invalidValue');
    if (t.groups.some((g) => g.name.toLowerCase() === String(body.displayName).toLowerCase()))
      throw new ScimError(409, `Group ${body.displayName} already exists`, 'uniqueness');
    const externalId = typeof body.externalId === 'string' ? body.externalId : null;
    const group = t.createGroup({ name: body.displayName, externalId, provisioned: true });
    setMembers(t, group, memberIdsOf(body, t));
    const base = baseOf(req);
    res.setHeader('Location', `${base}/Groups/${group.scimId}`);
    sendScim(res, 201, toScimGroup(group, t, base));
  }

  @Get('Groups/:id')
  getGroup(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const withMembers = !(queryText((req.query as Json).excludedAttributes) ?? '').split(',').includes('members');
    sendScim(res, 200, toScimGroup(groupOr404(t, req), t, baseOf(req), withMembers));
  }

  @Put('Groups/:id')
  replaceGroup(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const group = groupOr404(t, req);
    applyGroup(t, group, asObject(req.body));
    sendScim(res, 200, toScimGroup(group, t, baseOf(req)));
  }

  @Patch('Groups/:id')
  patchGroup(@Req() req: Request, @Res() res: Response): void {
    const t = contextOf(req).tenant;
    const group = groupOr404(t, req);
    const base = baseOf(req);
    const next = patched(toScimGroup(group, t, base), patchOperations(req.body));
    applyGroup(t, group, { ...next, members: next.members ?? [] });
    // RFC 7644 §3.5.2 allows 204 when the client did not ask for attributes.
    res.status(204).end();
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

function applyGroup(t: TenantStore, group: GroupRecord, body: Json): void {
  if (typeof body.displayName === 'string' && body.displayName !== '') group.name = body.displayName;
  if (typeof body.externalId === 'string') group.externalId = body.externalId;
  setMembers(t, group, memberIdsOf(body, t));
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
