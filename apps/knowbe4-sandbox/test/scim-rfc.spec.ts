import { startHarness, type Doc, type Harness } from './sandbox-client';
import type { TenantCredentials } from '../src/sandbox';

// Issue 17: the sandbox's SCIM surface follows RFC 7643/7644 wherever KnowBe4 documents nothing else.
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const KB4 = 'urn:ietf:params:scim:schemas:extension:knowbe4:kmsat:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

const patchOf = (...Operations: unknown[]) => ({ schemas: [PATCH], Operations });
const userBody = (email: string, extra: Record<string, unknown> = {}) => ({
  schemas: [CORE, ENTERPRISE, KB4],
  userName: email,
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  title: 'Analyst',
  [ENTERPRISE]: { department: 'Research' },
  [KB4]: { customField1: 'cf1', customDate1: '2024-03-01' },
  ...extra,
});

describe('SCIM RFC 7643/7644 conformance of the sandbox (issue 17)', () => {
  let h: Harness;
  let t: TenantCredentials;
  beforeAll(async () => {
    h = await startHarness();
  });
  beforeEach(() => {
    t = h.tenant({ users: 12 });
  });
  afterAll(() => h.sandbox.close());

  const json = async (path: string, method = 'GET', body?: unknown): Promise<{ status: number; body: Doc }> => {
    const res = await h.scim(t, path, { method, body });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Doc };
  };
  const createUser = async (email: string, extra: Record<string, unknown> = {}): Promise<Doc> => {
    const res = await json('/Users', 'POST', userBody(email, extra));
    expect(res.status).toBe(201);
    return res.body;
  };
  const createGroup = async (displayName: string, extra: Record<string, unknown> = {}): Promise<Doc> => {
    const res = await json('/Groups', 'POST', { schemas: [GROUP], displayName, ...extra });
    expect(res.status).toBe(201);
    return res.body;
  };
  const expectScimError = (res: { status: number; body: Doc }, scimType: string, attribute: string): void => {
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ schemas: [ERROR], status: '400', scimType });
    expect(res.body.detail).toContain(attribute);
  };

  describe('case 1 — RFC 7643 §7: /Schemas declares every attribute, references with referenceTypes', () => {
    const walk = (attributes: Doc[], visit: (a: Doc, path: string) => void, prefix = ''): void => {
      for (const a of attributes) {
        visit(a, `${prefix}${a.name as string}`);
        if (a.subAttributes) walk(a.subAttributes as Doc[], visit, `${prefix}${a.name as string}.`);
      }
    };

    it('gives every attribute and sub-attribute all §7 characteristics, and every reference its referenceTypes', async () => {
      const { body } = await json('/Schemas');
      expect(body.Resources.map((s: Doc) => s.id)).toEqual([CORE, GROUP, ENTERPRISE, KB4]);
      const references: Record<string, unknown> = {};
      for (const schema of body.Resources as Doc[]) {
        walk(schema.attributes as Doc[], (a, path) => {
          expect(a).toEqual(
            expect.objectContaining({
              name: expect.any(String),
              type: expect.stringMatching(/^(string|boolean|decimal|integer|dateTime|binary|reference|complex)$/),
              multiValued: expect.any(Boolean),
              description: expect.any(String),
              required: expect.any(Boolean),
              caseExact: expect.any(Boolean),
              mutability: expect.stringMatching(/^(readOnly|readWrite|immutable|writeOnly)$/),
              returned: expect.stringMatching(/^(always|never|default|request)$/),
              uniqueness: expect.stringMatching(/^(none|server|global)$/),
            }),
          );
          if (a.type === 'complex') expect((a.subAttributes as unknown[]).length).toBeGreaterThan(0);
          if (a.type === 'reference') references[`${schema.name as string}:${path}`] = a.referenceTypes;
        });
      }
      expect(references).toEqual({
        'User:meta.location': ['uri'],
        'User:groups.$ref': ['Group'],
        'Group:meta.location': ['uri'],
        'Group:members.$ref': ['User'],
        'EnterpriseUser:manager.$ref': ['User'],
      });
    });

    it('declares every attribute a User response carries, and the KnowBe4 extension with its dateTime attributes', async () => {
      const { body: schemas } = await json('/Schemas');
      const declared = new Set<string>();
      for (const schema of schemas.Resources as Doc[]) {
        const prefix = schema.id === CORE || schema.id === GROUP ? '' : `${schema.id as string}:`;
        walk(schema.attributes as Doc[], (_a, path) => declared.add(`${prefix}${path}`));
      }
      const user = await createUser('declared@example.com', {
        phoneNumbers: [{ value: '+1 555', type: 'mobile' }],
        addresses: [{ locality: 'London', type: 'work', primary: true }],
        externalId: 'ext-1',
      });
      const group = await createGroup('Declared', { members: [{ value: user.id }] });
      const carried = (doc: Doc, prefix = ''): string[] =>
        Object.entries(doc).flatMap(([key, value]) => {
          if (key === 'schemas') return [];
          if (key.startsWith('urn:')) return carried(value as Doc, `${key}:`);
          const item: unknown = Array.isArray(value) ? value[0] : value;
          const subs = item && typeof item === 'object' ? Object.keys(item).map((sub) => `${prefix}${key}.${sub}`) : [];
          return [`${prefix}${key}`, ...subs];
        });
      const fresh = (await json(`/Users/${user.id as string}`)).body;
      for (const path of [...carried(fresh), ...carried(group)]) expect([path, declared.has(path)]).toEqual([path, true]);
      const kb4 = (await json(`/Schemas/${KB4}`)).body;
      expect(kb4.attributes.filter((a: Doc) => a.type === 'dateTime').map((a: Doc) => a.name)).toEqual(['customDate1', 'customDate2']);
    });
  });

  describe('case 2 — RFC 7643 §2.3 types, RFC 7644 §3.12 invalidValue naming the attribute', () => {
    const badValues: Array<[string, Record<string, unknown>, string]> = [
      ['a dateTime given a UUID', { [KB4]: { customDate1: '6f1c1b0e-8a4e-4d43-9c43-3c7a0cdb6d0a' } }, `${KB4}:customDate1`],
      ['a dateTime on no calendar day', { [KB4]: { customDate2: '2024-02-30T00:00:00Z' } }, `${KB4}:customDate2`],
      ['a boolean given "yes"', { active: 'yes' }, 'active'],
      ['a string given a number', { title: 42 }, 'title'],
      ['a string inside a complex attribute given an object', { name: { givenName: { first: 'A' } } }, 'name.givenName'],
      ['a complex attribute given a string', { name: 'Ada Lovelace' }, 'name'],
      ['a multi-valued attribute given one object', { phoneNumbers: { value: '1' } }, 'phoneNumbers'],
      ['a boolean sub-attribute of a multi-valued attribute', { addresses: [{ locality: 'x', primary: 'first' }] }, 'addresses[0].primary'],
      ['an extension that is no object', { [ENTERPRISE]: 'Research' }, ENTERPRISE],
      ['an extension string given a list', { [ENTERPRISE]: { department: ['a', 'b'] } }, `${ENTERPRISE}:department`],
      ['a complex extension attribute given a string', { [ENTERPRISE]: { manager: 'boss@example.com' } }, `${ENTERPRISE}:manager`],
      ['the required userName missing', { userName: undefined }, 'userName'],
    ];

    it.each(badValues)('POST refuses %s', async (_what, extra, attribute) => {
      const res = await json('/Users', 'POST', userBody('typed@example.com', extra));
      expectScimError(res, 'invalidValue', attribute);
      const listed = await json(`/Users?filter=${encodeURIComponent('userName eq "typed@example.com"')}`);
      expect(listed.body.totalResults).toBe(0);
    });

    it.each(badValues.filter(([, extra]) => !('userName' in extra)))('PUT refuses %s and changes nothing', async (_what, extra, attribute) => {
      const user = await createUser('put.typed@example.com');
      const res = await json(`/Users/${user.id as string}`, 'PUT', userBody('put.typed@example.com', { title: 'Changed', ...extra }));
      expectScimError(res, 'invalidValue', attribute);
      expect((await json(`/Users/${user.id as string}`)).body.title).toBe('Analyst');
    });

    it('accepts an xsd:dateTime and a plain date for the KnowBe4 dates, and keeps the calendar date as KnowBe4 does', async () => {
      const user = await createUser('dates@example.com', { [KB4]: { customDate1: '2024-03-01T10:20:30Z', customDate2: '2025-12-31' } });
      expect(user[KB4]).toMatchObject({ customDate1: '2024-03-01', customDate2: '2025-12-31' });
      const reported = ((await (await h.reporting(t, '/users?per_page=500')).json()) as Doc[]).find((u) => u.email === 'dates@example.com');
      expect(reported).toMatchObject({ custom_date_1: '2024-03-01', custom_date_2: '2025-12-31' });
    });

    it('accepts booleans sent as "True"/"False" strings, as Entra ID sends them', async () => {
      const user = await createUser('bool@example.com', { active: 'False' });
      expect(user.active).toBe(false);
    });

    it('PATCH (RFC 7644 §3.5.2) refuses a wrongly typed value and applies none of its operations', async () => {
      const user = await createUser('patch.typed@example.com');
      const res = await json(
        `/Users/${user.id as string}`,
        'PATCH',
        patchOf({ op: 'replace', path: 'title', value: 'Lead' }, { op: 'add', path: `${KB4}:customDate1`, value: 'not a date' }),
      );
      expectScimError(res, 'invalidValue', `${KB4}:customDate1`);
      const after = (await json(`/Users/${user.id as string}`)).body;
      expect(after).toMatchObject({ title: 'Analyst', [KB4]: { customDate1: '2024-03-01' } });
    });

    it('PATCH answers an undeclared path with invalidPath, a readOnly one and removing userName with mutability', async () => {
      const user = await createUser('patch.paths@example.com');
      const path = `/Users/${user.id as string}`;
      expectScimError(await json(path, 'PATCH', patchOf({ op: 'replace', path: 'nickName', value: 'x' })), 'invalidPath', 'nickName');
      expectScimError(await json(path, 'PATCH', patchOf({ op: 'replace', path: 'name.middle', value: 'x' })), 'invalidPath', 'middle');
      expectScimError(await json(path, 'PATCH', patchOf({ op: 'replace', path: 'id', value: 'x' })), 'mutability', 'id');
      expectScimError(await json(path, 'PATCH', patchOf({ op: 'add', path: 'groups', value: [{ value: 'g' }] })), 'mutability', 'groups');
      expectScimError(await json(path, 'PATCH', patchOf({ op: 'remove', path: 'userName' })), 'mutability', 'userName');
      expect((await json(path)).body.userName).toBe('patch.paths@example.com');
    });

    it('Group POST and PUT check types too: displayName is required and a string', async () => {
      expectScimError(await json('/Groups', 'POST', { schemas: [GROUP], displayName: 7 }), 'invalidValue', 'displayName');
      const group = await createGroup('Typed');
      expectScimError(await json(`/Groups/${group.id as string}`, 'PUT', { schemas: [GROUP], externalId: 'x' }), 'invalidValue', 'displayName');
      expectScimError(await json(`/Groups/${group.id as string}`, 'PUT', { schemas: [GROUP], displayName: 'T', members: 'all' }), 'invalidValue', 'members');
    });
  });

  describe('case 3 — Group PATCH add of a member that is no User: 400 invalidValue, nothing applied (RFC 7644 §3.5.2, §3.12)', () => {
    it('refuses the whole PATCH and keeps the members as they were', async () => {
      const [a, b] = [await createUser('a@example.com'), await createUser('b@example.com')];
      const group = await createGroup('Atomic', { members: [{ value: a.id }] });
      const res = await json(
        `/Groups/${group.id as string}`,
        'PATCH',
        patchOf({ op: 'replace', path: 'displayName', value: 'Renamed' }, { op: 'add', path: 'members', value: [{ value: b.id }, { value: 'no-such-user' }] }),
      );
      expectScimError(res, 'invalidValue', 'no-such-user');
      const after = (await json(`/Groups/${group.id as string}`)).body;
      expect(after.displayName).toBe('Atomic');
      expect(after.members.map((m: Doc) => m.value)).toEqual([a.id]);
    });

    it('refuses a POST or PUT naming a member that is no User, instead of dropping it', async () => {
      expectScimError(await json('/Groups', 'POST', { schemas: [GROUP], displayName: 'Ghosts', members: [{ value: 'ghost' }] }), 'invalidValue', 'ghost');
      expect((await json(`/Groups?filter=${encodeURIComponent('displayName eq "Ghosts"')}`)).body.totalResults).toBe(0);
      const group = await createGroup('Put ghosts');
      expectScimError(await json(`/Groups/${group.id as string}`, 'PUT', { schemas: [GROUP], displayName: 'Put ghosts', members: [{ value: 'ghost' }] }), 'invalidValue', 'ghost');
    });
  });

  describe('case 4 — Group PATCH remove and replace are applied (RFC 7644 §3.5.2.2, §3.5.2.3)', () => {
    let users: Doc[];
    let group: Doc;
    const members = async (): Promise<string[]> => (((await json(`/Groups/${group.id as string}`)).body.members ?? []) as Doc[]).map((m) => m.value as string).sort();
    beforeEach(async () => {
      users = [await createUser('m1@example.com'), await createUser('m2@example.com'), await createUser('m3@example.com')];
      group = await createGroup('Team', { externalId: 'team-ext', members: users.map((u) => ({ value: u.id })) });
    });
    const patchGroup = async (...ops: unknown[]): Promise<number> => (await h.scim(t, `/Groups/${group.id as string}`, { method: 'PATCH', body: patchOf(...ops) })).status;

    it('removes externalId', async () => {
      expect(await patchGroup({ op: 'remove', path: 'externalId' })).toBe(204);
      expect((await json(`/Groups/${group.id as string}`)).body.externalId).toBeUndefined();
    });

    it('removes every member with path "members", and the Reporting API agrees', async () => {
      expect(await patchGroup({ op: 'remove', path: 'members' })).toBe(204);
      expect(await members()).toEqual([]);
      const reported = ((await (await h.reporting(t, '/groups?per_page=500')).json()) as Doc[]).find((g) => g.name === 'Team');
      expect(reported!.member_count).toBe(0);
    });

    it('removes one member with a value filter, and the member list with a value array (Entra ID style)', async () => {
      expect(await patchGroup({ op: 'remove', path: `members[value eq "${users[0].id as string}"]` })).toBe(204);
      expect(await members()).toEqual([users[1].id, users[2].id].sort());
      expect(await patchGroup({ op: 'Remove', path: 'members', value: [{ value: users[1].id }] })).toBe(204);
      expect(await members()).toEqual([users[2].id]);
    });

    it('replaces the members with exactly the given set', async () => {
      const other = await createUser('m4@example.com');
      expect(await patchGroup({ op: 'replace', path: 'members', value: [{ value: users[2].id }, { value: other.id }] })).toBe(204);
      expect(await members()).toEqual([users[2].id, other.id].sort());
    });

    it('treats attribute names case-insensitively (RFC 7643 §2.1) and answers 200 with the resource when attributes are asked for', async () => {
      const res = await json(`/Groups/${group.id as string}?attributes=members`, 'PATCH', patchOf({ op: 'remove', path: 'Members' }));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ schemas: [GROUP], id: group.id });
    });
  });

  describe('case 4 — the User checks after case 2: PATCH add/remove/replace, PUT, projection, listing', () => {
    it('PATCH add without a path, remove of a sub-attribute and replace of an extension attribute (RFC 7644 §3.5.2.1-3)', async () => {
      const user = await createUser('ops@example.com');
      const path = `/Users/${user.id as string}`;
      expect((await json(path, 'PATCH', patchOf({ op: 'add', value: { preferredLanguage: 'de-de', [KB4]: { customField2: 'two' } } }))).body).toMatchObject({
        preferredLanguage: 'de-de',
        [KB4]: { customField1: 'cf1', customField2: 'two' },
      });
      const removed = (await json(path, 'PATCH', patchOf({ op: 'remove', path: 'name.givenName' }))).body;
      expect(removed.name).toEqual({ familyName: 'Lovelace', formatted: 'Lovelace' });
      const replaced = (await json(path, 'PATCH', patchOf({ op: 'replace', path: `${ENTERPRISE}:department`, value: 'Ops' }, { op: 'replace', path: `${KB4}:customDate2`, value: '2030-01-02T03:04:05+01:00' }))).body;
      expect(replaced).toMatchObject({ [ENTERPRISE]: { department: 'Ops' }, [KB4]: { customDate2: '2030-01-02' } });
    });

    it('PUT replaces and ignores readOnly attributes sent along (RFC 7644 §3.5.1)', async () => {
      const user = await createUser('put.ro@example.com');
      const res = await json(`/Users/${user.id as string}`, 'PUT', { schemas: [CORE], id: 'other', displayName: 'Ignored', userName: 'put.ro@example.com', title: 'New', meta: { created: 'x' } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: user.id, title: 'New' });
      expect(res.body.displayName).toBeUndefined();
      expect(res.body[ENTERPRISE]).toBeUndefined();
      expect(res.body.schemas).toEqual([CORE]);
    });

    it('projects with attributes and excludedAttributes on reads, lists and writes (RFC 7644 §3.4.2.5, §3.9)', async () => {
      const user = await createUser('projected@example.com');
      const only = (await json(`/Users/${user.id as string}?attributes=userName,name.givenName,${ENTERPRISE}:department`)).body;
      expect(only).toEqual({ schemas: [CORE, ENTERPRISE, KB4], id: user.id, userName: 'projected@example.com', name: { givenName: 'Ada' }, [ENTERPRISE]: { department: 'Research' } });
      const without = (await json(`/Users/${user.id as string}?excludedAttributes=meta,name.familyName,id,${KB4}`)).body;
      expect(without).toMatchObject({ id: user.id, name: { givenName: 'Ada' } });
      expect(without.meta).toBeUndefined();
      expect(without.name.familyName).toBeUndefined();
      expect(without[KB4]).toBeUndefined();
      const listed = (await json(`/Users?filter=${encodeURIComponent('userName eq "projected@example.com"')}&attributes=emails.value`)).body;
      expect(listed.Resources).toEqual([{ schemas: [CORE, ENTERPRISE, KB4], id: user.id, emails: [{ value: 'projected@example.com' }] }]);
      const patched = (await json(`/Users/${user.id as string}?attributes=title`, 'PATCH', patchOf({ op: 'replace', path: 'title', value: 'T' }))).body;
      expect(patched).toEqual({ schemas: [CORE, ENTERPRISE, KB4], id: user.id, title: 'T' });
      const group = await createGroup('Projected', { members: [{ value: user.id }] });
      expect((await json(`/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "Projected"')}`)).body.Resources[0].members).toBeUndefined();
      expect((await json(`/Groups/${group.id as string}?attributes=displayName`)).body).toEqual({ schemas: [GROUP], id: group.id, displayName: 'Projected' });
    });

    it('lists with the userName filter KnowBe4 documents, case-insensitively (userName is caseExact false), and pages within maxResults', async () => {
      await createUser('Listed@Example.com');
      const found = (await json(`/Users?filter=${encodeURIComponent('USERNAME eq "listed@EXAMPLE.com"')}`)).body;
      expect(found).toMatchObject({ totalResults: 1, itemsPerPage: 1, startIndex: 1 });
      const spc = (await json('/ServiceProviderConfig')).body;
      const all = (await json('/Users?count=100000')).body;
      expect(all.itemsPerPage).toBeLessThanOrEqual(spc.filter.maxResults as number);
      expect(all.totalResults).toBe(13);
    });
  });

  describe('case 5 — /ServiceProviderConfig and /ResourceTypes describe what the sandbox does (RFC 7643 §5, §6)', () => {
    it('says patch and filter (with maxResults) yes; bulk, sort, etag and changePassword no; bearer token auth', async () => {
      const spc = (await json('/ServiceProviderConfig')).body;
      expect(spc).toMatchObject({
        patch: { supported: true },
        filter: { supported: true, maxResults: 1000 },
        bulk: { supported: false },
        sort: { supported: false },
        etag: { supported: false },
        changePassword: { supported: false },
      });
      expect(spc.authenticationSchemes).toEqual([expect.objectContaining({ type: 'oauthbearertoken', name: expect.any(String), description: expect.any(String) })]);
      const bulk = await h.scim(t, '/Bulk', { method: 'POST', body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [] } });
      expect(bulk.status).toBe(404);
    });

    it('lists User (with both extensions) and Group, each pointing at a schema /Schemas serves', async () => {
      const types = (await json('/ResourceTypes')).body;
      expect(types.Resources.map((r: Doc) => [r.id, r.endpoint, r.schema, r.schemaExtensions.map((e: Doc) => e.schema)])).toEqual([
        ['User', '/Users', CORE, [ENTERPRISE, KB4]],
        ['Group', '/Groups', GROUP, []],
      ]);
      for (const schema of [CORE, GROUP, ENTERPRISE, KB4]) expect((await json(`/Schemas/${schema}`)).status).toBe(200);
      expect((await json('/ResourceTypes/User')).body.name).toBe('User');
    });
  });
});
