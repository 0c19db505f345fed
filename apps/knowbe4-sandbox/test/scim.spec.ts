import { startHarness, type Doc, type Harness } from './sandbox-client';
import type { TenantCredentials } from '../src/sandbox';

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const KB4 = 'urn:ietf:params:scim:schemas:extension:knowbe4:kmsat:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

const newUser = (email: string, extra: Record<string, unknown> = {}) => ({
  schemas: [CORE, ENTERPRISE, KB4],
  userName: email,
  externalId: `ext-${email}`,
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  title: 'Analyst',
  emails: [
    { value: email, primary: true, type: 'work' },
    { value: `alias.${email}`, type: 'other' },
  ],
  addresses: [{ locality: 'London', type: 'work', primary: true }],
  [ENTERPRISE]: { employeeNumber: '000042', department: 'Research', division: 'R&D', organization: 'Analytical Engines' },
  [KB4]: { customField1: 'cf1', customDate1: '2024-03-01' },
  ...extra,
});

describe('SCIM 2.0 emulation over the same store as the Reporting API', () => {
  let h: Harness;
  let t: TenantCredentials;
  beforeAll(async () => {
    h = await startHarness();
  });
  beforeEach(() => {
    t = h.tenant({ users: 30 });
  });
  afterAll(() => h.sandbox.close());

  async function create(email: string, extra: Record<string, unknown> = {}): Promise<Doc> {
    const res = await h.scim(t, '/Users', { method: 'POST', body: newUser(email, extra) });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    return (await res.json()) as Doc;
  }

  async function reportingUserByEmail(email: string): Promise<Doc | undefined> {
    const users = (await (await h.reporting(t, '/users?per_page=500')).json()) as Doc[];
    return users.find((u) => u.email === email);
  }

  it('creates a user that the Reporting API shows at once, provisioning-managed, aliases stripped', async () => {
    const created = await create('ada@example.com');
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.emails).toEqual([{ value: 'ada@example.com', type: 'work', primary: true }]);
    const reported = await reportingUserByEmail('ada@example.com');
    expect(reported).toMatchObject({
      first_name: 'Ada',
      last_name: 'Lovelace',
      job_title: 'Analyst',
      location: 'London',
      employee_number: '000042',
      department: 'Research',
      provisioning_managed: true,
      provisioning_guid: 'ext-ada@example.com',
      custom_field_1: 'cf1',
      custom_date_1: '2024-03-01',
      aliases: [],
      status: 'active',
    });
    expect(String(reported!.id)).not.toBe(created.id);
  });

  it('answers a duplicate userName, in any case, with 409 uniqueness', async () => {
    await create('dup@example.com');
    const res = await h.scim(t, '/Users', { method: 'POST', body: newUser('DUP@Example.com') });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' });
  });

  it('filters only on userName eq; other filters are invalidFilter', async () => {
    await create('find.me@example.com');
    const found = (await (await h.scim(t, `/Users?filter=${encodeURIComponent('userName eq "FIND.ME@example.com"')}`)).json()) as Doc;
    expect(found.totalResults).toBe(1);
    expect(found.Resources[0].userName).toBe('find.me@example.com');
    const bad = await h.scim(t, `/Users?filter=${encodeURIComponent('title eq "Analyst"')}`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ scimType: 'invalidFilter', status: '400' });
    expect((await h.scim(t, `/Users?filter=${encodeURIComponent('userName eq')}`)).status).toBe(400);
  });

  it('pages the user list with startIndex and count', async () => {
    const page = (await (await h.scim(t, '/Users?startIndex=11&count=5')).json()) as Doc;
    expect(page).toMatchObject({ totalResults: 30, startIndex: 11, itemsPerPage: 5 });
  });

  it('archives on PATCH active=false: Reporting shows archived with archived_at', async () => {
    const created = await create('leaver@example.com');
    const res = await h.scim(t, `/Users/${created.id}`, { method: 'PATCH', body: { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] } });
    expect(res.status).toBe(200);
    const reported = await reportingUserByEmail('leaver@example.com');
    expect(reported!.status).toBe('archived');
    expect(reported!.archived_at).toMatch(/\.000Z$/);
    await h.scim(t, `/Users/${created.id}`, { method: 'PATCH', body: { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: 'True' }] } });
    expect(await reportingUserByEmail('leaver@example.com')).toMatchObject({ status: 'active', archived_at: null });
  });

  it('PUT replaces: attributes left out are cleared', async () => {
    const created = await create('put@example.com');
    const res = await h.scim(t, `/Users/${created.id}`, { method: 'PUT', body: { schemas: [CORE], userName: 'put@example.com', name: { givenName: 'Only' } } });
    expect(res.status).toBe(200);
    expect(await reportingUserByEmail('put@example.com')).toMatchObject({ first_name: 'Only', last_name: null, job_title: null, department: null, location: null, status: 'active' });
  });

  it('PATCH touches only the named paths', async () => {
    const created = await create('patch@example.com');
    const res = await h.scim(t, `/Users/${created.id}`, {
      method: 'PATCH',
      body: {
        schemas: [PATCH],
        Operations: [
          { op: 'replace', path: 'title', value: 'Lead' },
          { op: 'replace', path: `${ENTERPRISE}:department`, value: 'Ops' },
          { op: 'remove', path: 'addresses' },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(await reportingUserByEmail('patch@example.com')).toMatchObject({ job_title: 'Lead', department: 'Ops', location: null, first_name: 'Ada', last_name: 'Lovelace', employee_number: '000042' });
  });

  it('archives instead of deleting when SCIM DELETE is called', async () => {
    const created = await create('gone@example.com');
    expect((await h.scim(t, `/Users/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await reportingUserByEmail('gone@example.com'))!.status).toBe('archived');
    const again = (await (await h.scim(t, `/Users/${created.id}`)).json()) as Doc;
    expect(again.active).toBe(false);
  });

  it('answers malformed JSON with 400 invalidSyntax and unknown ids with 404', async () => {
    const res = await h.scim(t, '/Users', { method: 'POST', raw: '{"userName": ' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidSyntax' });
    const missing = await h.scim(t, '/Users/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ status: '404' });
  });

  it('rejects a Reporting key with 401 in the SCIM error schema', async () => {
    const res = await fetch(`${t.scim_base_url}/Users`, { headers: { authorization: `Bearer ${t.reporting_api_key}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ schemas: [ERROR], status: '401' });
    const regional = await fetch(`${h.sandbox.url}/eu/scim/v2/ServiceProviderConfig`, { headers: { authorization: `Bearer ${t.scim_token}` } });
    expect(regional.status).toBe(200);
  });

  it('shows group membership changed over SCIM in /groups/:id/members and in the user groups', async () => {
    const ada = await create('member@example.com');
    const groupRes = await h.scim(t, '/Groups', { method: 'POST', body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'SCIM Team', externalId: 'g-1' } });
    expect(groupRes.status).toBe(201);
    const group = (await groupRes.json()) as Doc;
    const add = await h.scim(t, `/Groups/${group.id}`, { method: 'PATCH', body: { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: ada.id }] }] } });
    expect(add.status).toBe(204);
    const groups = (await (await h.reporting(t, '/groups?per_page=500')).json()) as Doc[];
    const reportingGroup = groups.find((g) => g.name === 'SCIM Team')!;
    expect(reportingGroup).toMatchObject({ group_type: 'console_group', member_count: 1, provisioning_guid: 'g-1' });
    const members = (await (await h.reporting(t, `/groups/${reportingGroup.id}/members`)).json()) as Doc[];
    expect(members.map((m) => m.email)).toEqual(['member@example.com']);
    expect((await reportingUserByEmail('member@example.com'))!.groups).toContain(reportingGroup.id);
    await h.scim(t, `/Groups/${group.id}`, { method: 'PATCH', body: { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${ada.id}"]` }] } });
    expect((await (await h.reporting(t, `/groups/${reportingGroup.id}/members`)).json()) as unknown[]).toEqual([]);
    expect((await reportingUserByEmail('member@example.com'))!.groups).not.toContain(reportingGroup.id);
  });

  it('serves the discovery documents', async () => {
    const spc = (await (await h.scim(t, '/ServiceProviderConfig')).json()) as Doc;
    expect(spc.patch.supported).toBe(true);
    const schemas = (await (await h.scim(t, '/Schemas')).json()) as Doc;
    expect(schemas.Resources.map((s: { id: string }) => s.id)).toContain(KB4);
    const types = (await (await h.scim(t, '/ResourceTypes')).json()) as Doc;
    expect(types.totalResults).toBe(2);
  });
});
