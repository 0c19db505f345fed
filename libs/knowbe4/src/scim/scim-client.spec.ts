import { inspect } from 'node:util';
import { KnowBe4AuthError, ScimConflictError, ScimRequestError } from '../errors';
import { seededRandom } from '../http/clock';
import { FakeClock, HttpStub, startHttpStub, StubAnswer, StubRequest } from '../testing/http-stub';
import { userNameEqualsFilter } from './filter';
import { ScimClient } from './scim-client';
import { SCIM_ERROR_SCHEMA, SCIM_PATCH_OP_SCHEMA, SCIM_USER_SCHEMA } from '@kb4/mapping';

const TOKEN = 'scim-token-abcdef0123456789';
const scimError = (status: number, scimType?: string, detail = 'error'): StubAnswer => ({
  status,
  body: { schemas: [SCIM_ERROR_SCHEMA], status: String(status), scimType, detail },
});
const list = (resources: unknown[]): StubAnswer => ({
  status: 200,
  body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: resources.length, Resources: resources },
});

describe('userNameEqualsFilter', () => {
  it('escapes quotes and backslashes as a SCIM string literal', () => {
    expect(userNameEqualsFilter('a"b\\c@x.io')).toBe('userName eq "a\\"b\\\\c@x.io"');
  });
});

describe('ScimClient against a stub', () => {
  let stub: HttpStub;
  let answer: (request: StubRequest) => StubAnswer;
  const client = (): ScimClient =>
    new ScimClient({
      baseUrl: `${stub.url}/scim/v2`,
      token: TOKEN,
      clock: new FakeClock(),
      retry: { random: seededRandom(3), maxAttempts: 4 },
    });

  beforeEach(async () => {
    answer = () => ({ status: 200, body: {} });
    stub = await startHttpStub((request) => answer(request));
  });
  afterEach(() => stub.close());

  it('creates a user with the core schema and the SCIM content type', async () => {
    answer = (r) => ({ status: 201, body: { ...(r.body as object), id: 'scim-1' } });
    const created = await client().createUser({ userName: 'new@x.io', name: { givenName: 'N', familyName: 'U' } });
    expect(created.id).toBe('scim-1');
    expect(stub.requests[0].headers['content-type']).toBe('application/scim+json');
    expect(stub.requests[0].body).toMatchObject({ schemas: [SCIM_USER_SCHEMA], userName: 'new@x.io' });
  });

  it('turns a first-attempt 409 into ScimConflictError carrying the existing user', async () => {
    const existing = { schemas: [SCIM_USER_SCHEMA], id: 'scim-9', userName: 'dup@x.io' };
    answer = (r) => (r.method === 'POST' ? scimError(409, 'uniqueness', 'userName taken') : list([existing]));
    const error = (await client().createUser({ userName: 'dup@x.io' }).catch((e: unknown) => e)) as ScimConflictError;
    expect(error).toBeInstanceOf(ScimConflictError);
    expect(error.scimType).toBe('uniqueness');
    expect(error.existing).toEqual(existing);
    expect(error.insight).toBe('conflict_error');
    expect(stub.requests[1].query.get('filter')).toBe('userName eq "dup@x.io"');
  });

  it('still reports the conflict when looking up the existing user fails', async () => {
    answer = (r) => (r.method === 'POST' ? scimError(409, 'uniqueness') : scimError(403, undefined, 'no list rights'));
    const error = (await client().createUser({ userName: 'dup@x.io' }).catch((e: unknown) => e)) as ScimConflictError;
    expect(error).toBeInstanceOf(ScimConflictError);
    expect(error.existing).toBeUndefined();
  });

  it('resolves a retried create that meets 409 to the user the lost attempt created (idempotent create)', async () => {
    let posts = 0;
    const created = { schemas: [SCIM_USER_SCHEMA], id: 'scim-2', userName: 'retry@x.io' };
    answer = (r) => {
      if (r.method === 'POST') return ++posts === 1 ? scimError(503) : scimError(409, 'uniqueness');
      return list([created]);
    };
    await expect(client().createUser({ userName: 'retry@x.io' })).resolves.toEqual(created);
    expect(posts).toBe(2);
  });

  it('maps 400 to ScimRequestError with scimType, and 401 to KnowBe4AuthError', async () => {
    answer = () => scimError(400, 'invalidValue', 'bad email');
    const bad = (await client().getUser('x').catch((e: unknown) => e)) as ScimRequestError;
    expect(bad).toBeInstanceOf(ScimRequestError);
    expect(bad.scimType).toBe('invalidValue');
    answer = () => ({ status: 401, body: { detail: 'Unauthorized' } });
    const auth = (await client().getUser('x').catch((e: unknown) => e)) as KnowBe4AuthError;
    expect(auth).toBeInstanceOf(KnowBe4AuthError);
    expect(JSON.stringify(auth)).not.toContain(TOKEN);
  });

  it('archives with a PatchOp replace active=false and removes members by value filter', async () => {
    answer = () => ({ status: 200, body: { id: 'u1', userName: 'a@x.io', active: false } });
    await client().archiveUser('u1');
    expect(stub.requests[0]).toMatchObject({
      method: 'PATCH',
      path: '/scim/v2/Users/u1',
      body: { schemas: [SCIM_PATCH_OP_SCHEMA], Operations: [{ op: 'replace', path: 'active', value: false }] },
    });
    answer = () => ({ status: 204 });
    await client().removeGroupMembers('g1', ['u1']);
    expect(stub.requests[1].body).toMatchObject({ Operations: [{ op: 'remove', path: 'members[value eq "u1"]' }] });
  });

  it('pages users with startIndex/count until totalResults', async () => {
    answer = (r) => {
      const start = Number(r.query.get('startIndex'));
      const count = Number(r.query.get('count'));
      const resources = Array.from({ length: Math.max(0, Math.min(count, 5 - start + 1)) }, (_, i) => ({ id: `u${start + i}`, userName: `u${start + i}@x.io` }));
      return { status: 200, body: { schemas: [], totalResults: 5, startIndex: start, Resources: resources } };
    };
    const ids: string[] = [];
    for await (const user of client().listUsers({ count: 2 })) ids.push(user.id!);
    expect(ids).toEqual(['u1', 'u2', 'u3', 'u4', 'u5']);
    expect(stub.requests).toHaveLength(3);
  });

  it('verifyCredentials reads GET /Users?count=1 and never shows the token', async () => {
    answer = () => list([]);
    const kb4 = client();
    await expect(kb4.verifyCredentials()).resolves.toMatchObject({ ok: true, totalUsers: 0 });
    expect(stub.requests[0].query.get('count')).toBe('1');
    expect(inspect(kb4, { depth: 10, showHidden: true })).not.toContain(TOKEN);
    expect(JSON.stringify(kb4)).not.toContain(TOKEN);
  });
});
