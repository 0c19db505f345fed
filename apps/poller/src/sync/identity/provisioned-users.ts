import type { NormalizedKnowBe4User } from '@kb4/mapping';
import type { SnapshotRepository, SnapshotUser } from '@kb4/persistence';

/**
 * Mirror rows the provisioner created over SCIM before any sync saw them, for the users a page lists for the
 * first time: joined by provisioning GUID, else by email. Returns the matched row of each such user, by remote id.
 */
export async function findProvisionedUsers(
  snapshot: SnapshotRepository,
  accountId: string,
  users: readonly NormalizedKnowBe4User[],
): Promise<Map<string, SnapshotUser>> {
  if (users.length === 0) return new Map();
  const guids = users.map((u) => u.provisioning_guid).filter((g): g is string => g !== null);
  const emails = users.map((u) => u.email?.toLowerCase()).filter((e): e is string => !!e);
  const rows = await snapshot.unmatchedUsersByIdentity(accountId, guids, emails);
  return matchProvisionedUsers(users, rows);
}

/** Each row matches at most one user: a GUID match wins, then the first user with the row's email takes it. */
export function matchProvisionedUsers(users: readonly NormalizedKnowBe4User[], rows: readonly SnapshotUser[]): Map<string, SnapshotUser> {
  const matches = new Map<string, SnapshotUser>();
  if (rows.length === 0) return matches;
  const taken = new Set<string>();
  const claim = (user: NormalizedKnowBe4User, row: SnapshotUser | undefined): boolean => {
    if (!row || taken.has(row.seq)) return false;
    taken.add(row.seq);
    matches.set(String(user.id), row);
    return true;
  };
  for (const user of users) {
    if (user.provisioning_guid !== null && claim(user, rows.find((r) => r.provisioningGuid === user.provisioning_guid))) continue;
    const email = user.email?.toLowerCase();
    if (email) claim(user, rows.find((r) => r.emailLower === email && !taken.has(r.seq)));
  }
  return matches;
}
