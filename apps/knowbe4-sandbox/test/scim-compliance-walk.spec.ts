import { startHarness, type Doc, type Harness } from './sandbox-client';
import type { TenantCredentials } from '../src/sandbox';

/**
 * A compliance walk: one row per RFC 7643/7644 check a SCIM 2.0 server suite runs, each against a fresh tenant.
 * Rows marked `knowbe4` assert KnowBe4's documented behaviour where it differs from the RFC (README, "SCIM 2.0").
 */
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const KB4 = 'urn:ietf:params:scim:schemas:extension:knowbe4:kmsat:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const XSD_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

interface Answer {
  status: number;
  body: Doc;
  headers: Headers;
}
interface Walker {
  call(path: string, method?: string, body?: unknown): Promise<Answer>;
  user(email?: string): Promise<Doc>;
  group(displayName: string, memberIds?: string[]): Promise<Doc>;
  raw(path: string, init: RequestInit): Promise<Response>;
}
type Check = [rfc: string, check: string, run: (w: Walker) => Promise<void>];

const ops = (...Operations: unknown[]) => ({ schemas: [PATCH], Operations });
const scimError = (answer: Answer, status: number, scimType?: string): void => {
  expect(answer.status).toBe(status);
  expect(answer.body).toMatchObject({ schemas: [ERROR], status: String(status), ...(scimType ? { scimType } : {}) });
  expect(answer.body.detail).toEqual(expect.any(String));
};
const memberIds = async (w: Walker, id: string): Promise<string[]> => (((await w.call(`/Groups/${id}`)).body.members ?? []) as Doc[]).map((m) => m.value as string).sort();

const CHECKS: Check[] = [
  ['7643 §5', 'ServiceProviderConfig is served with every capability', async (w) => {
    const { status, body } = await w.call('/ServiceProviderConfig');
    expect(status).toBe(200);
    for (const key of ['patch', 'bulk', 'filter', 'changePassword', 'sort', 'etag']) expect(typeof body[key].supported).toBe('boolean');
    expect(body.authenticationSchemes.length).toBeGreaterThan(0);
  }],
  ['7643 §6', 'ResourceTypes list and fetch by id; an unknown one is 404', async (w) => {
    expect((await w.call('/ResourceTypes')).body).toMatchObject({ schemas: [LIST], totalResults: 2 });
    expect((await w.call('/ResourceTypes/Group')).body.endpoint).toBe('/Groups');
    scimError(await w.call('/ResourceTypes/Device'), 404);
  }],
  ['7643 §7', 'Schemas: every reference attribute has referenceTypes; fetch by URN; unknown is 404', async (w) => {
    const { body } = await w.call('/Schemas');
    const refs = JSON.stringify(body).match(/"type":"reference"[^}]*?(?="subAttributes"|})/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(ref).toContain('"referenceTypes":[');
    expect((await w.call(`/Schemas/${KB4}`)).status).toBe(200);
    scimError(await w.call('/Schemas/urn:nope'), 404);
  }],
  ['7644 §3.3', 'POST /Users: 201, Location = meta.location, server id, xsd:dateTime meta', async (w) => {
    const answer = await w.call('/Users', 'POST', { schemas: [CORE], userName: 'walk.create@example.com', externalId: 'x-1' });
    expect(answer.status).toBe(201);
    expect(answer.headers.get('location')).toBe(answer.body.meta.location);
    expect(answer.body).toMatchObject({ id: expect.any(String), externalId: 'x-1', meta: { resourceType: 'User' } });
    expect(answer.body.meta.created).toMatch(XSD_DATE_TIME);
    expect(answer.body.meta.lastModified).toMatch(XSD_DATE_TIME);
  }],
  ['7644 §3.3, §3.12', 'POST of an existing userName (any case) is 409 uniqueness', async (w) => {
    await w.user('walk.dup@example.com');
    scimError(await w.call('/Users', 'POST', { schemas: [CORE], userName: 'WALK.DUP@example.com' }), 409, 'uniqueness');
  }],
  ['7644 §3.4.1', 'GET by id returns the resource; an unknown id is 404 in the error schema', async (w) => {
    const user = await w.user();
    expect((await w.call(`/Users/${user.id as string}`)).body).toEqual(user);
    scimError(await w.call('/Users/00000000-0000-4000-8000-000000000000'), 404);
  }],
  ['7644 §3.4.2', 'a list is a ListResponse with totalResults, startIndex, itemsPerPage and Resources', async (w) => {
    expect((await w.call('/Users')).body).toMatchObject({ schemas: [LIST], totalResults: 5, startIndex: 1, itemsPerPage: 5, Resources: expect.any(Array) });
  }],
  ['7644 §3.4.2.2', 'filter userName eq matches case-insensitively (caseExact false)', async (w) => {
    await w.user('walk.filter@example.com');
    const { body } = await w.call(`/Users?filter=${encodeURIComponent('userName eq "Walk.Filter@Example.com"')}`);
    expect(body.Resources.map((u: Doc) => u.userName)).toEqual(['walk.filter@example.com']);
  }],
  ['7644 §3.4.2.2 (knowbe4)', 'a filter KnowBe4 does not support is 400 invalidFilter (userName is its only filter)', async (w) => {
    scimError(await w.call(`/Users?filter=${encodeURIComponent('title eq "x"')}`), 400, 'invalidFilter');
  }],
  ['7644 §3.4.2.4', 'startIndex and count page; count=0 answers totals only', async (w) => {
    expect((await w.call('/Users?startIndex=2&count=2')).body).toMatchObject({ totalResults: 5, startIndex: 2, itemsPerPage: 2 });
    expect((await w.call('/Users?count=0')).body).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
  }],
  ['7644 §3.4.2.5', 'attributes returns only those (plus id and schemas)', async (w) => {
    const user = await w.user('walk.attrs@example.com');
    expect((await w.call(`/Users/${user.id as string}?attributes=userName`)).body).toEqual({ schemas: user.schemas, id: user.id, userName: 'walk.attrs@example.com' });
  }],
  ['7644 §3.4.2.5', 'excludedAttributes drops those, never id', async (w) => {
    const user = await w.user();
    const { body } = await w.call(`/Users/${user.id as string}?excludedAttributes=emails,id`);
    expect(body.emails).toBeUndefined();
    expect(body.id).toBe(user.id);
  }],
  ['7644 §3.5.1', 'PUT replaces the resource; readOnly attributes sent are ignored', async (w) => {
    const user = await w.user('walk.put@example.com');
    const answer = await w.call(`/Users/${user.id as string}`, 'PUT', { schemas: [CORE], id: 'mine', userName: 'walk.put@example.com', title: 'Put' });
    expect(answer.body).toMatchObject({ id: user.id, title: 'Put' });
    expect(answer.body.name).toBeUndefined();
  }],
  ['7644 §3.5.2.1', 'PATCH add sets an attribute and answers 200 with the resource', async (w) => {
    const user = await w.user();
    expect((await w.call(`/Users/${user.id as string}`, 'PATCH', ops({ op: 'add', path: 'title', value: 'Added' }))).body.title).toBe('Added');
  }],
  ['7644 §3.5.2.2', 'PATCH remove unassigns an attribute', async (w) => {
    const user = await w.user();
    expect((await w.call(`/Users/${user.id as string}`, 'PATCH', ops({ op: 'remove', path: 'title' }))).body.title).toBeUndefined();
  }],
  ['7644 §3.5.2.3', 'PATCH replace of a sub-attribute changes only it', async (w) => {
    const user = await w.user();
    const { body } = await w.call(`/Users/${user.id as string}`, 'PATCH', ops({ op: 'replace', path: 'name.familyName', value: 'Replaced' }));
    expect(body.name).toMatchObject({ givenName: 'Walk', familyName: 'Replaced' });
  }],
  ['7643 §2.3.5, 7644 §3.12', 'a dateTime attribute given a UUID is 400 invalidValue naming it', async (w) => {
    const answer = await w.call('/Users', 'POST', { schemas: [CORE, KB4], userName: 'walk.date@example.com', [KB4]: { customDate1: '1b4e28ba-2fa1-11d2-883f-0016d3cca427' } });
    scimError(answer, 400, 'invalidValue');
    expect(answer.body.detail).toContain('customDate1');
  }],
  ['7643 §2.3.2, 7644 §3.12', 'a boolean given a number is 400 invalidValue naming it', async (w) => {
    const user = await w.user();
    const answer = await w.call(`/Users/${user.id as string}`, 'PATCH', ops({ op: 'replace', path: 'active', value: 1 }));
    scimError(answer, 400, 'invalidValue');
    expect(answer.body.detail).toContain('active');
  }],
  ['7644 §3.5.2, §3.12', 'PATCH of an undeclared attribute is 400 invalidPath', async (w) => {
    const user = await w.user();
    scimError(await w.call(`/Users/${user.id as string}`, 'PATCH', ops({ op: 'replace', path: 'shoeSize', value: '9' })), 400, 'invalidPath');
  }],
  ['7644 §3.5.2, §3.12', 'PATCH of a readOnly attribute is 400 mutability', async (w) => {
    const user = await w.user();
    scimError(await w.call(`/Users/${user.id as string}`, 'PATCH', ops({ op: 'replace', path: 'meta.created', value: '2020-01-01T00:00:00Z' })), 400, 'mutability');
  }],
  ['7644 §3.5.2, §3.12', 'a PATCH body that is no PatchOp is 400 invalidSyntax', async (w) => {
    const user = await w.user();
    scimError(await w.call(`/Users/${user.id as string}`, 'PATCH', { Operations: [{ op: 'add', path: 'title', value: 'x' }] }), 400, 'invalidSyntax');
  }],
  ['7644 §3.12', 'malformed JSON is 400 invalidSyntax', async (w) => {
    const res = await w.raw('/Users', { method: 'POST', body: '{"userName":' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ schemas: [ERROR], scimType: 'invalidSyntax' });
  }],
  ['7644 §3.6 (knowbe4)', 'DELETE /Users answers 204 and archives: KnowBe4 never deletes over SCIM', async (w) => {
    const user = await w.user();
    expect((await w.call(`/Users/${user.id as string}`, 'DELETE')).status).toBe(204);
    expect((await w.call(`/Users/${user.id as string}`)).body.active).toBe(false);
  }],
  ['7644 §3.3', 'POST /Groups with members: 201 and the members listed', async (w) => {
    const user = await w.user();
    const group = await w.group('Walk create', [user.id as string]);
    expect(group.members.map((m: Doc) => m.value)).toEqual([user.id]);
  }],
  ['7644 §3.4.2.2', 'filter displayName eq finds the group', async (w) => {
    await w.group('Walk filter');
    expect((await w.call(`/Groups?filter=${encodeURIComponent('displayName eq "Walk filter"')}`)).body.totalResults).toBe(1);
  }],
  ['7644 §3.5.2.1', 'Group PATCH add of members adds them', async (w) => {
    const [user, group] = [await w.user(), await w.group('Walk add')];
    expect((await w.call(`/Groups/${group.id as string}`, 'PATCH', ops({ op: 'add', path: 'members', value: [{ value: user.id }] }))).status).toBe(204);
    expect(await memberIds(w, group.id as string)).toEqual([user.id]);
  }],
  ['7644 §3.5.2.1, §3.12', 'Group PATCH add of a member that is no User is 400 invalidValue and adds nothing', async (w) => {
    const [user, group] = [await w.user(), await w.group('Walk ghost')];
    scimError(await w.call(`/Groups/${group.id as string}`, 'PATCH', ops({ op: 'add', path: 'members', value: [{ value: user.id }, { value: 'ghost' }] })), 400, 'invalidValue');
    expect(await memberIds(w, group.id as string)).toEqual([]);
  }],
  ['7644 §3.5.2.2', 'Group PATCH remove members[value eq …] removes that member', async (w) => {
    const [a, b] = [await w.user('walk.a@example.com'), await w.user('walk.b@example.com')];
    const group = await w.group('Walk remove', [a.id as string, b.id as string]);
    await w.call(`/Groups/${group.id as string}`, 'PATCH', ops({ op: 'remove', path: `members[value eq "${a.id as string}"]` }));
    expect(await memberIds(w, group.id as string)).toEqual([b.id]);
  }],
  ['7644 §3.5.2.2', 'Group PATCH remove of members and of externalId unassigns them', async (w) => {
    const user = await w.user();
    const group = await w.group('Walk clear', [user.id as string]);
    await w.call(`/Groups/${group.id as string}`, 'PATCH', ops({ op: 'remove', path: 'members' }, { op: 'remove', path: 'externalId' }));
    const after = (await w.call(`/Groups/${group.id as string}`)).body;
    expect([after.members, after.externalId]).toEqual([undefined, undefined]);
  }],
  ['7644 §3.5.2.3', 'Group PATCH replace of members sets exactly those', async (w) => {
    const [a, b] = [await w.user('walk.c@example.com'), await w.user('walk.d@example.com')];
    const group = await w.group('Walk replace', [a.id as string]);
    await w.call(`/Groups/${group.id as string}`, 'PATCH', ops({ op: 'replace', path: 'members', value: [{ value: b.id }] }));
    expect(await memberIds(w, group.id as string)).toEqual([b.id]);
  }],
  ['7644 §3.5.2.3', 'replace through a value filter that matches no member is 400 noTarget', async (w) => {
    const user = await w.user();
    const group = await w.group('Walk no target', [user.id as string]);
    const answer = await w.call(`/Groups/${group.id as string}`, 'PATCH', ops({ op: 'replace', path: 'members[value eq "nobody"]', value: { value: user.id } }));
    scimError(answer, 400, 'noTarget');
  }],
  ['7644 §3.5.1', 'Group PUT replaces name and members', async (w) => {
    const user = await w.user();
    const group = await w.group('Walk put', [user.id as string]);
    const answer = await w.call(`/Groups/${group.id as string}`, 'PUT', { schemas: [GROUP], displayName: 'Walk put 2' });
    expect(answer.body).toMatchObject({ displayName: 'Walk put 2' });
    expect(answer.body.members).toBeUndefined();
  }],
  ['7644 §3.6', 'Group DELETE answers 204, then the group is 404', async (w) => {
    const group = await w.group('Walk delete');
    expect((await w.call(`/Groups/${group.id as string}`, 'DELETE')).status).toBe(204);
    scimError(await w.call(`/Groups/${group.id as string}`), 404);
  }],
  ['7644 §2', 'a request without the bearer token is 401 in the error schema', async (w) => {
    const res = await w.raw('/Users', { method: 'GET', headers: { authorization: '' } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ schemas: [ERROR], status: '401' });
  }],
  ['7644 §3.4.3 (knowbe4)', 'POST /.search is not offered by KnowBe4', async (w) => {
    expect((await w.call('/.search', 'POST', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'] })).status).toBe(404);
  }],
];

describe('SCIM compliance walk (RFC 7643/7644, KnowBe4 where it documents otherwise)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.sandbox.close());

  function walker(t: TenantCredentials): Walker {
    let n = 0;
    const call = async (path: string, method = 'GET', body?: unknown): Promise<Answer> => {
      const res = await h.scim(t, path, { method, body });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: (text && text.startsWith('{') ? JSON.parse(text) : {}) as Doc };
    };
    return {
      call,
      raw: (path, init) =>
        fetch(`${t.scim_base_url}${path}`, { ...init, headers: { authorization: `Bearer ${t.scim_token}`, 'content-type': 'application/scim+json', ...(init.headers as Record<string, string>) } }),
      async user(email = `walk.user${++n}@example.com`) {
        const answer = await call('/Users', 'POST', { schemas: [CORE], userName: email, name: { givenName: 'Walk', familyName: 'Er' }, title: 'Walker' });
        expect(answer.status).toBe(201);
        return answer.body;
      },
      async group(displayName, ids = []) {
        const answer = await call('/Groups', 'POST', { schemas: [GROUP], displayName, externalId: `ext-${displayName}`, members: ids.map((value) => ({ value })) });
        expect(answer.status).toBe(201);
        return answer.body;
      },
    };
  }

  it.each(CHECKS)('RFC %s: %s', async (_rfc, _check, run) => {
    await run(walker(h.tenant({ users: 5, groups: 0 })));
  });
});
