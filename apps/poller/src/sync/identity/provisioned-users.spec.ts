import { tryNormalizeKnowBe4User, NormalizedKnowBe4User } from '@kb4/mapping';
import type { SnapshotUser } from '@kb4/persistence';
import { recorded, RECORDED_USERS } from '../diff/__fixtures__/recorded';
import { matchProvisionedUsers } from './provisioned-users';

function user(id: number, overrides: Record<string, unknown> = {}): NormalizedKnowBe4User {
  const result = tryNormalizeKnowBe4User({ ...recorded(RECORDED_USERS, id), ...overrides });
  if (!result.ok) throw new Error(result.reason);
  return result.record;
}

function row(seq: string, identity: { guid?: string; email?: string }): SnapshotUser {
  return { seq, remoteId: null, contentHash: 'h', record: {}, createdAt: new Date(0), provisioningGuid: identity.guid ?? null, emailLower: identity.email ?? null };
}

describe('matchProvisionedUsers (a Reporting user to the row the provisioner created over SCIM)', () => {
  const jane = user(667542); // provisioning GUID 8f6c…, Jane.Doe@example.com
  const legacy = user(654321); // no GUID, legacy.adi@example.eu

  it.each([
    ['by provisioning GUID', [row('1', { guid: '8f6c1d2e-6e0e-4f4b-9d65-1f2b3c4d5e6f' })], '667542', '1'],
    ['by lower-cased email when there is no GUID match', [row('2', { email: 'jane.doe@example.com' })], '667542', '2'],
    ['by GUID before email, whatever the row order', [row('3', { email: 'jane.doe@example.com' }), row('4', { guid: '8f6c1d2e-6e0e-4f4b-9d65-1f2b3c4d5e6f' })], '667542', '4'],
    ['a user without a GUID by email', [row('5', { email: 'legacy.adi@example.eu' })], '654321', '5'],
  ])('matches %s', (_label, rows, userId, seq) => {
    expect(matchProvisionedUsers([jane, legacy], rows).get(userId)?.seq).toBe(seq);
  });

  it('gives a row to one user only', () => {
    const twin = user(654321, { email: 'Jane.Doe@example.com' });
    const matches = matchProvisionedUsers([jane, twin], [row('1', { email: 'jane.doe@example.com' })]);
    expect([...matches.keys()]).toEqual(['667542']);
  });

  it('matches nothing without rows or identities in common', () => {
    expect(matchProvisionedUsers([jane], []).size).toBe(0);
    expect(matchProvisionedUsers([legacy], [row('1', { email: 'someone@else.example' })]).size).toBe(0);
  });
});
